"""The company's own day (services/company/locale.company_today): its time zone decides what
"today" means on the staff pages."""

from datetime import UTC, date, datetime

from portal_app.services.company.locale import company_today


def test_today_is_the_date_in_the_companys_time_zone(make, session):
    company = make.company()
    moment = datetime(2026, 12, 5, 11, 30, tzinfo=UTC)
    assert company_today(session, company.id, moment) == date(2026, 12, 5)
    company.time_zone = "Pacific/Auckland"  # 00:30 on the 6th there
    session.add(company)
    session.flush()
    assert company_today(session, company.id, moment) == date(2026, 12, 6)
    company.time_zone = "America/Los_Angeles"  # 03:30 on the 5th there
    session.add(company)
    session.flush()
    assert company_today(session, company.id, moment) == date(2026, 12, 5)
    assert company_today(session, company.id, datetime(2026, 12, 5, 7, 0, tzinfo=UTC)) == date(
        2026, 12, 4
    )


def test_money_and_dates_follow_the_readers_language_in_the_clients_region(make, session):
    from portal_app.core.i18n import use_language
    from portal_app.services.company.locale import client_locale

    actor = make.actor(make.contact(make.client(make.company(locale="en_US"), locale="en_US")))
    assert client_locale(session, actor) == "en_US"
    with use_language("de"):
        assert client_locale(session, actor) == "de"
    with use_language("en"):
        assert client_locale(session, actor) == "en_US"
    swiss = make.actor(make.contact(make.client(make.company(), locale="de_CH")))
    with use_language("fr"):
        assert client_locale(session, swiss) == "fr_CH"
