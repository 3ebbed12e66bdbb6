//! Who may call what: one table, decided before a request reaches a service.
//!
//! Child welfare records fall under the duty of confidentiality, so access is by role and
//! nothing is open by default: a method missing from the table is refused to everyone, and a
//! test checks that every method of the contract is in it.
//!
//! Roles decide which methods; municipalities decide which data. A token names the
//! municipalities its subject serves (several for an inter-municipal service) and reaches
//! those and no others: a token naming none reaches none. A case or report is checked where it
//! is loaded ([`crate::Handler::load_reachable`]), a list's filter by [`scope`]. A case of
//! another municipality and a case that does not exist are refused alike, so a refusal never
//! tells whether a case exists.

use std::collections::BTreeSet;

use domain::municipality::MunicipalityNumber;
pub use platform::auth::Role;

/// The service's own staff: they work the cases.
const STAFF: &[Role] = &[Role::Caseworker, Role::TeamLeader, Role::ServiceLeader];
/// Staff, and the portal's client that delivers reports.
const REPORT_SENDERS: &[Role] = &[
    Role::Caseworker,
    Role::TeamLeader,
    Role::ServiceLeader,
    Role::ReporterPortal,
];
/// Staff, and the supervisor who reads figures, never cases.
const FIGURE_READERS: &[Role] = &[
    Role::Caseworker,
    Role::TeamLeader,
    Role::ServiceLeader,
    Role::Supervisor,
];

/// Who sees a reporter's name and contact: those who write to reporters. A leader sees
/// that a report came from, say, a kindergarten, never who wrote it; a partner nothing.
const REPORTER_READERS: &[Role] = &[Role::Caseworker, Role::TeamLeader];

/// Whether `role` may see who reported a concern and how to reach them.
pub fn sees_reporter(role: Role) -> bool {
    REPORTER_READERS.contains(&role)
}

/// The partners a consultation may invite: they see only that consultation, while open.
const PARTNERS: &[Role] = &[Role::Police, Role::Barnehus];

/// Who reads the read audit: the supervisor, and the leader answerable for the service.
const AUDITORS: &[Role] = &[Role::ServiceLeader, Role::Supervisor];

/// Who reads which steps were entered late: the leaders answerable for the entries, and the
/// supervisor who asks.
const LATE_ENTRY_READERS: &[Role] = &[Role::TeamLeader, Role::ServiceLeader, Role::Supervisor];

/// A method's name and the roles that may call it.
pub type MethodRule = (&'static str, &'static [Role]);

/// Every gRPC method by service (named by the generated code's `SERVICE_NAME`, so a renamed
/// service cannot fall out of the table), and the roles that may call it.
pub const RULES: &[(&str, &[MethodRule])] = &[
    (
        api::intake::v1::intake_service_server::SERVICE_NAME,
        &[
            ("SubmitReport", REPORT_SENDERS),
            ("ImportDigitalReport", REPORT_SENDERS),
            ("ScreenReport", STAFF),
            ("ChangeReportUrgency", STAFF),
            ("AssignReport", STAFF),
            ("GetReport", STAFF),
        ],
    ),
    (
        api::investigation::v1::investigation_service_server::SERVICE_NAME,
        &[
            ("StartInvestigation", STAFF),
            ("RecordActivity", STAFF),
            ("ExtendDeadline", STAFF),
            ("RecordConsultation", STAFF),
            ("RecordForensicInterview", STAFF),
            ("ReportToPolice", STAFF),
            ("ConcludeInvestigation", STAFF),
            ("ChangeCaseUrgency", STAFF),
            ("AssignCase", STAFF),
            ("GetCase", STAFF),
        ],
    ),
    (
        api::measures::v1::measures_service_server::SERVICE_NAME,
        &[
            ("StartMeasure", STAFF),
            ("EvaluateMeasure", STAFF),
            ("ExtendMeasure", STAFF),
            ("ChangeMeasure", STAFF),
            ("EndMeasure", STAFF),
            ("MakeEmergencyDecision", STAFF),
            ("RecordEmergencyRuling", STAFF),
            ("SendEmergencyPetition", STAFF),
            ("ProposeToBoard", STAFF),
            ("RecordBoardDecision", STAFF),
            ("MakeCarePlan", STAFF),
            ("MakePlan", STAFF),
            ("RecordFollowUpVisit", STAFF),
            ("RecordSupervisionVisit", STAFF),
            ("DecideVisitRate", STAFF),
            ("RecordCareOrderCarriedOut", STAFF),
            ("ExtendCareOrderImplementation", STAFF),
            ("CloseCase", STAFF),
        ],
    ),
    (
        api::feedback::v1::feedback_service_server::SERVICE_NAME,
        &[
            ("GetLettersOwed", STAFF),
            ("ListLettersOwed", STAFF),
            ("RenderLetter", STAFF),
            ("MarkLettersSent", STAFF),
        ],
    ),
    (
        api::worklist::v1::worklist_service_server::SERVICE_NAME,
        &[
            ("ListCasesNeedingReview", STAFF),
            ("GetStatistics", FIGURE_READERS),
            ("GetCaseTimeline", STAFF),
            ("GetCaseload", STAFF),
            ("ListRegistryFindings", STAFF),
            ("ListLateEntries", LATE_ENTRY_READERS),
        ],
    ),
    (
        api::audit::v1::audit_service_server::SERVICE_NAME,
        &[("ListReads", AUDITORS)],
    ),
    (
        api::partner::v1::partner_service_server::SERVICE_NAME,
        &[
            ("InviteToConsultation", STAFF),
            ("CloseConsultation", STAFF),
            ("GetConsultation", PARTNERS),
            ("RecordAttendance", PARTNERS),
            ("RecordForensicInterviewDecision", PARTNERS),
            ("RecordPoliceReportDecision", &[Role::Police]),
        ],
    ),
];

/// The operators' dashboard's pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    /// Cases needing review, and a case's timeline: case content.
    Cases,
    /// Letters owed to reporters: case content.
    Letters,
    /// Figures per municipality and period.
    Statistics,
    /// Lag, horizon, counts and versions: no case content.
    System,
}

/// Whether `role` may see `page` of the dashboard: the same split as the methods, so a page
/// shows nothing its reader could not ask the API for.
pub fn permits_page(role: Role, page: Page) -> bool {
    let roles: &[Role] = match page {
        Page::Cases | Page::Letters => STAFF,
        Page::Statistics => FIGURE_READERS,
        Page::System => &[
            Role::Caseworker,
            Role::TeamLeader,
            Role::ServiceLeader,
            Role::Supervisor,
            Role::Operator,
        ],
    };
    roles.contains(&role)
}

/// Why a list's filter reaches beyond what its caller serves.
#[derive(Debug, PartialEq, Eq)]
pub enum OutOfScope {
    /// The first municipality asked for that is not served.
    NotServed(MunicipalityNumber),
    /// The caller serves no municipality at all (an empty filter would mean every one).
    ServesNone,
}

impl std::fmt::Display for OutOfScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutOfScope::NotServed(number) => {
                write!(
                    f,
                    "{:?} is not a municipality your token serves",
                    number.as_str()
                )
            }
            OutOfScope::ServesNone => f.write_str("your token serves no municipality"),
        }
    }
}

/// The municipalities a list may cover: those `asked` for, if every one is served; all that
/// are served when none is asked for. Never empty, since an empty filter means every one.
pub fn scope(
    served: &BTreeSet<MunicipalityNumber>,
    asked: &[MunicipalityNumber],
) -> Result<Vec<MunicipalityNumber>, OutOfScope> {
    if served.is_empty() {
        return Err(OutOfScope::ServesNone);
    }
    if asked.is_empty() {
        return Ok(served.iter().copied().collect());
    }
    asked
        .iter()
        .map(|number| {
            if served.contains(number) {
                Ok(*number)
            } else {
                Err(OutOfScope::NotServed(*number))
            }
        })
        .collect()
}

/// Services any authenticated caller may use: they describe the contract, not the data.
const OPEN_TO_ANY_ROLE: [&str; 2] = [
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
];

/// Whether `role` may call the method at `path` (`/package.Service/Method`).
pub fn permits(role: Role, path: &str) -> bool {
    let Some((service, method)) = path.trim_start_matches('/').split_once('/') else {
        return false;
    };
    if OPEN_TO_ANY_ROLE.contains(&service) {
        return true;
    }
    RULES
        .iter()
        .filter(|(name, _)| *name == service)
        .flat_map(|(_, methods)| methods.iter())
        .find(|(name, _)| *name == method)
        .is_some_and(|(_, roles)| roles.contains(&role))
}

/// What each role may do, in words, from the tables above: a Markdown table of the methods
/// each may call (a whole service when every one of its methods) and the dashboard's pages.
/// The README carries it (a test keeps the two the same) and `vern token issue --help`
/// prints it.
pub fn role_table() -> String {
    let short = |service: &str| service.rsplit('.').next().unwrap_or(service).to_owned();
    let mut table = String::from("| role | may call | dashboard pages |\n|---|---|---|\n");
    for role in Role::ALL {
        let mut calls = Vec::new();
        for (service, methods) in RULES {
            let allowed: Vec<&str> = methods
                .iter()
                .filter(|(_, roles)| roles.contains(&role))
                .map(|(method, _)| *method)
                .collect();
            if allowed.len() == methods.len() {
                calls.push(format!("all of {}", short(service)));
            } else if !allowed.is_empty() {
                calls.push(format!("{}: {}", short(service), allowed.join(", ")));
            }
        }
        let pages: Vec<&str> = [
            (Page::Cases, "cases"),
            (Page::Letters, "letters"),
            (Page::Statistics, "statistics"),
            (Page::System, "system"),
        ]
        .iter()
        .filter(|(page, _)| permits_page(role, *page))
        .map(|(_, name)| *name)
        .collect();
        let or_none = |list: Vec<String>| {
            if list.is_empty() {
                "none".to_owned()
            } else {
                list.join("; ")
            }
        };
        table.push_str(&format!(
            "| `{}` | {} | {} |\n",
            role.name(),
            or_none(calls),
            or_none(pages.into_iter().map(str::to_owned).collect())
        ));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's table of roles is the policy's own: changed here, it must be changed
    /// there (between the `roles` markers), or this fails with the table to paste.
    #[test]
    fn the_readmes_role_table_is_the_policys() {
        let readme = include_str!("../../../README.md");
        let table = role_table();
        let start = readme
            .find("<!-- roles -->\n")
            .map(|at| at + "<!-- roles -->\n".len());
        let end = readme.find("<!-- /roles -->");
        let shown = match (start, end) {
            (Some(start), Some(end)) if start <= end => &readme[start..end],
            _ => panic!("README.md has no <!-- roles --> ... <!-- /roles --> section"),
        };
        assert_eq!(
            shown, table,
            "README.md's role table is not the policy's; paste this between the markers:\n{table}"
        );
    }

    #[test]
    fn role_names_round_trip_and_match_the_issuable_list() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.name()), Some(role));
        }
        assert_eq!(Role::parse("admin"), None);
    }

    #[test]
    fn unknown_methods_and_paths_are_refused() {
        assert!(permits(
            Role::Caseworker,
            "/vern.intake.v1.IntakeService/SubmitReport"
        ));
        assert!(!permits(
            Role::Caseworker,
            "/vern.intake.v1.IntakeService/DeleteEverything"
        ));
        assert!(!permits(Role::Caseworker, "garbage"));
        assert!(permits(
            Role::Police,
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
        ));
    }

    #[test]
    fn a_scope_is_what_is_served_and_asked_for_and_no_more() {
        let registry = domain::municipality::MunicipalityRegistry::norway_2024();
        let number =
            |text: &str| MunicipalityNumber::parse("m", text, &registry).expect("a municipality");
        let served: BTreeSet<_> = [number("5035"), number("5036")].into();
        assert_eq!(
            scope(&served, &[]),
            Ok(vec![number("5035"), number("5036")])
        );
        assert_eq!(scope(&served, &[number("5036")]), Ok(vec![number("5036")]));
        let asked = vec![number("5035"), number("0301")];
        assert_eq!(
            scope(&served, &asked),
            Err(OutOfScope::NotServed(number("0301")))
        );
        // A token serving nothing reaches nothing, asked or not.
        assert_eq!(scope(&BTreeSet::new(), &[]), Err(OutOfScope::ServesNone));
        assert_eq!(scope(&BTreeSet::new(), &asked), Err(OutOfScope::ServesNone));
    }

    #[test]
    fn only_those_who_write_to_reporters_see_them() {
        let seeing: Vec<&str> = Role::ALL
            .into_iter()
            .filter(|role| sees_reporter(*role))
            .map(Role::name)
            .collect();
        assert_eq!(seeing, ["caseworker", "team_leader"]);
    }

    #[test]
    fn dashboard_pages_follow_the_same_split() {
        assert!(permits_page(Role::Caseworker, Page::Cases));
        assert!(!permits_page(Role::Operator, Page::Cases));
        assert!(!permits_page(Role::Operator, Page::Letters));
        assert!(permits_page(Role::Operator, Page::System));
        assert!(permits_page(Role::Supervisor, Page::Statistics));
        assert!(!permits_page(Role::Supervisor, Page::Cases));
        assert!(!permits_page(Role::Police, Page::System));
    }
}
