from portal_app.state.nav import visible_nav_items


def test_payments_and_credits_follow_their_modules():
    both = [item.route for item in visible_nav_items(["invoices", "payments", "credits"])]
    assert both[:4] == [
        "/client/dashboard",
        "/client/invoices",
        "/client/payments",
        "/client/credits",
    ]
    only_credits = [item.route for item in visible_nav_items(["credits"])]
    assert "/client/payments" not in only_credits and "/client/credits" in only_credits
