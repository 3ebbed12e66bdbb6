use super::*;

#[test]
fn reports_received_either_side_of_new_year_2023_get_their_own_act() {
    let book = RuleBook::norwegian();
    let before = NaiveDate::from_ymd_opt(2022, 12, 31).unwrap();
    let after = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
    assert_eq!(
        book.for_received_on(before).unwrap().act,
        Act::ChildWelfareAct1992
    );
    assert_eq!(
        book.for_received_on(after).unwrap().act,
        Act::ChildWelfareAct2021
    );
}

#[test]
fn the_switch_is_counted_in_oslo_time() {
    let book = RuleBook::norwegian();
    // 22:59 UTC on 31 December is 23:59 in Oslo: still the old act.
    let old = "2022-12-31T22:59:00Z".parse::<DateTime<Utc>>().unwrap();
    // 23:00 UTC on 31 December is midnight in Oslo: the new act.
    let new = "2022-12-31T23:00:00Z".parse::<DateTime<Utc>>().unwrap();
    assert_eq!(
        book.for_received_at(old).unwrap().act,
        Act::ChildWelfareAct1992
    );
    assert_eq!(
        book.for_received_at(new).unwrap().act,
        Act::ChildWelfareAct2021
    );
}

#[test]
fn no_rule_set_before_the_1992_act_came_into_force() {
    let book = RuleBook::norwegian();
    let date = NaiveDate::from_ymd_opt(1992, 12, 31).unwrap();
    assert_eq!(
        book.for_received_on(date),
        Err(DomainError::NoRuleSetInForce { date })
    );
}

#[test]
fn every_to_confirm_value_says_what_and_where() {
    let book = RuleBook::norwegian();
    for set in [&book.act_1992, &book.act_2021] {
        for rule in set.deadlines() {
            if let Some(text) = rule.to_confirm {
                assert!(text.contains("DOMAIN.md"), "{:?}: {text}", rule.kind);
            }
            assert_eq!(set.deadline(rule.kind), rule);
        }
    }
}

#[test]
fn investigation_deadline_follows_domain_md_and_the_registry_rule_is_documented() {
    let set = RuleBook::norwegian().act_2021;
    let received = "2024-01-01T10:00:00Z".parse::<DateTime<Utc>>().unwrap();
    let counts_from = set.investigation_counts_from(received, received);
    assert_eq!(counts_from, NaiveDate::from_ymd_opt(2024, 1, 8).unwrap());
    let due = set.investigation_due(counts_from, None);
    assert_eq!(due.last_day, NaiveDate::from_ymd_opt(2024, 4, 8).unwrap());
    let extended = set.investigation_due(counts_from, Some(Length::Months(6)));
    assert_eq!(
        extended.last_day,
        NaiveDate::from_ymd_opt(2024, 7, 8).unwrap()
    );
    let registry = set
        .registry_investigation_rule
        .last_day(NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(), false);
    assert_eq!(registry, NaiveDate::from_ymd_opt(2024, 4, 7).unwrap());
    assert_eq!(set.max_investigation_months(), 6);
}
