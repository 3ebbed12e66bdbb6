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

/// The roles a token can carry (`platform::auth::ROLES` holds their names for issuing).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Caseworker,
    TeamLeader,
    ServiceLeader,
    /// The national reporting portal's client: submits reports, reads nothing.
    ReporterPortal,
    Police,
    Barnehus,
    /// Read-only: statistics and the read audit.
    Supervisor,
    /// Runs the system: health, reflection, the dashboard's system page; no case content.
    Operator,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Caseworker,
        Role::TeamLeader,
        Role::ServiceLeader,
        Role::ReporterPortal,
        Role::Police,
        Role::Barnehus,
        Role::Supervisor,
        Role::Operator,
    ];

    /// The role a token names; `None` for a name no role has (which may do nothing).
    pub fn parse(name: &str) -> Option<Role> {
        Some(match name {
            "caseworker" => Role::Caseworker,
            "team_leader" => Role::TeamLeader,
            "service_leader" => Role::ServiceLeader,
            "reporter_portal" => Role::ReporterPortal,
            "police" => Role::Police,
            "barnehus" => Role::Barnehus,
            "supervisor" => Role::Supervisor,
            "operator" => Role::Operator,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Role::Caseworker => "caseworker",
            Role::TeamLeader => "team_leader",
            Role::ServiceLeader => "service_leader",
            Role::ReporterPortal => "reporter_portal",
            Role::Police => "police",
            Role::Barnehus => "barnehus",
            Role::Supervisor => "supervisor",
            Role::Operator => "operator",
        }
    }
}

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
pub fn sees_reporter(role: &str) -> bool {
    Role::parse(role).is_some_and(|role| REPORTER_READERS.contains(&role))
}

/// The partners a consultation may invite: they see only that consultation, while open.
const PARTNERS: &[Role] = &[Role::Police, Role::Barnehus];

/// Who reads the read audit: the supervisor, and the leader answerable for the service.
const AUDITORS: &[Role] = &[Role::ServiceLeader, Role::Supervisor];

/// A method's name and the roles that may call it.
pub type MethodRule = (&'static str, &'static [Role]);

/// Every gRPC method by service, and the roles that may call it.
pub const RULES: &[(&str, &[MethodRule])] = &[
    (
        "vern.intake.v1.IntakeService",
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
        "vern.investigation.v1.InvestigationService",
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
        "vern.measures.v1.MeasuresService",
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
            ("RecordFollowUpVisit", STAFF),
            ("CloseCase", STAFF),
        ],
    ),
    (
        "vern.feedback.v1.FeedbackService",
        &[
            ("GetLettersOwed", STAFF),
            ("ListLettersOwed", STAFF),
            ("RenderLetter", STAFF),
            ("MarkLettersSent", STAFF),
        ],
    ),
    (
        "vern.worklist.v1.WorklistService",
        &[
            ("ListCasesNeedingReview", STAFF),
            ("GetStatistics", FIGURE_READERS),
            ("GetCaseTimeline", STAFF),
            ("GetCaseload", STAFF),
            ("ListRegistryFindings", STAFF),
        ],
    ),
    ("vern.audit.v1.AuditService", &[("ListReads", AUDITORS)]),
    (
        "vern.partner.v1.PartnerService",
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
pub fn permits_page(role: &str, page: Page) -> bool {
    let Some(role) = Role::parse(role) else {
        return false;
    };
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

/// Whether a subject serving `served` may see data of `municipality`.
pub fn serves(served: &[String], municipality: &str) -> bool {
    served.iter().any(|number| number == municipality)
}

/// Why a list's filter reaches beyond what its caller serves.
#[derive(Debug, PartialEq, Eq)]
pub enum OutOfScope<'a> {
    /// The first municipality asked for that is not served.
    NotServed(&'a str),
    /// The caller serves no municipality at all (an empty filter would mean every one).
    ServesNone,
}

impl std::fmt::Display for OutOfScope<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutOfScope::NotServed(number) => {
                write!(f, "{number:?} is not a municipality your token serves")
            }
            OutOfScope::ServesNone => f.write_str("your token serves no municipality"),
        }
    }
}

/// The municipalities a list may cover: those `asked` for, if every one is served; all that
/// are served when none is asked for. Never empty, since an empty filter means every one.
pub fn scope<'a>(served: &[String], asked: &'a [String]) -> Result<Vec<String>, OutOfScope<'a>> {
    if served.is_empty() {
        return Err(OutOfScope::ServesNone);
    }
    if asked.is_empty() {
        return Ok(served.to_vec());
    }
    asked
        .iter()
        .map(|number| {
            if serves(served, number.trim()) {
                Ok(number.trim().to_owned())
            } else {
                Err(OutOfScope::NotServed(number.as_str()))
            }
        })
        .collect()
}

/// Services any authenticated caller may use: they describe the contract, not the data.
const OPEN_TO_ANY_ROLE: [&str; 2] = [
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
];

/// Whether `role` (a token's role name) may call the method at `path` (`/package.Service/Method`).
pub fn permits(role: &str, path: &str) -> bool {
    let Some((service, method)) = path.trim_start_matches('/').split_once('/') else {
        return false;
    };
    let Some(role) = Role::parse(role) else {
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
        .filter(|(page, _)| permits_page(role.name(), *page))
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
    fn unknown_methods_roles_and_paths_are_refused() {
        assert!(permits(
            "caseworker",
            "/vern.intake.v1.IntakeService/SubmitReport"
        ));
        assert!(!permits(
            "caseworker",
            "/vern.intake.v1.IntakeService/DeleteEverything"
        ));
        assert!(!permits(
            "wizard",
            "/vern.intake.v1.IntakeService/SubmitReport"
        ));
        assert!(!permits("caseworker", "garbage"));
        assert!(permits(
            "police",
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
        ));
    }

    #[test]
    fn a_scope_is_what_is_served_and_asked_for_and_no_more() {
        let served = vec!["5035".to_owned(), "5036".to_owned()];
        assert_eq!(scope(&served, &[]), Ok(served.clone()));
        assert_eq!(
            scope(&served, &[" 5036".to_owned()]),
            Ok(vec!["5036".to_owned()])
        );
        let asked = vec!["5035".to_owned(), "0301".to_owned()];
        assert_eq!(scope(&served, &asked), Err(OutOfScope::NotServed("0301")));
        // A token serving nothing reaches nothing, asked or not.
        assert_eq!(scope(&[], &[]), Err(OutOfScope::ServesNone));
        assert_eq!(scope(&[], &asked), Err(OutOfScope::ServesNone));
        assert!(!serves(&[], "5035"));
    }

    #[test]
    fn only_those_who_write_to_reporters_see_them() {
        let seeing: Vec<&str> = Role::ALL
            .into_iter()
            .map(Role::name)
            .filter(|role| sees_reporter(role))
            .collect();
        assert_eq!(seeing, ["caseworker", "team_leader"]);
        assert!(!sees_reporter("wizard"));
    }

    #[test]
    fn dashboard_pages_follow_the_same_split() {
        assert!(permits_page("caseworker", Page::Cases));
        assert!(!permits_page("operator", Page::Cases));
        assert!(!permits_page("operator", Page::Letters));
        assert!(permits_page("operator", Page::System));
        assert!(permits_page("supervisor", Page::Statistics));
        assert!(!permits_page("supervisor", Page::Cases));
        assert!(!permits_page("police", Page::System));
        assert!(!permits_page("wizard", Page::System));
    }
}
