from portal_app.demo.extras_example import open_invoice_count


def test_counts_only_own_open_invoices(make, session):
    company = make.company()
    mine, theirs = make.client(company), make.client(company)
    me = make.contact(mine)
    make.invoice(mine)
    make.invoice(mine, status="paid", paid_minor=240_00)
    make.invoice(mine, status="draft")
    make.invoice(theirs)
    assert open_invoice_count(session, actor=make.actor(me)) == 1
