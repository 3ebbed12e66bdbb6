//! One case as the registry sees it (Sak and its parts), read from the case's events and its
//! reports. Codes come from what the caseworker recorded (`domain::registry`) or from the
//! domain's own outcomes through the tables in `codes`; nothing is guessed from free text.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use domain::calendar::oslo_date;
use domain::case::{CaseEvent, CaseId};
use domain::report::{Report, ReportId};
use domain::values::{ChildIdentity, Reporter};
use uuid::Uuid;

use crate::codes::{self, Lovhjemmel};

/// What the export reads for one case: its events up to the export's moment, and the reports
/// linked to it as they were then.
pub struct CaseFile<'a> {
    pub case_id: CaseId,
    pub events: &'a [CaseEvent],
    pub reports: &'a BTreeMap<ReportId, Report>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Sak {
    pub id: Uuid,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    pub journal_number: String,
    pub personalia: Option<Personalia>,
    pub meldinger: Vec<Melding>,
    pub undersokelser: Vec<Undersokelse>,
    pub planer: Vec<Plan>,
    pub tiltak: Vec<Tiltak>,
    pub vedtak: Vec<Vedtak>,
    pub oversendelser: Vec<Oversendelse>,
    pub relasjoner: Vec<Relasjon>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Personalia {
    pub id: Uuid,
    pub start: NaiveDate,
    /// 11 digits: the number, or the due date and 99999 for an unborn child.
    pub number: String,
    pub birth_date: NaiveDate,
    /// 0 unborn, 1 boy, 2 girl.
    pub sex: &'static str,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Melding {
    pub id: Uuid,
    pub report_id: ReportId,
    pub start: NaiveDate,
    pub reporter_code: Option<String>,
    pub case_content: Vec<String>,
    pub conclusion: Option<(NaiveDate, &'static str)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Undersokelse {
    pub id: Uuid,
    pub start: NaiveDate,
    /// The report that opened it, for the 7 + 90 days rule.
    pub report_received: NaiveDate,
    pub grounds: Vec<String>,
    pub extension_requested: Option<NaiveDate>,
    pub conclusion: Option<Conclusion>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Conclusion {
    pub date: NaiveDate,
    pub code: &'static str,
    pub precision: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub id: Uuid,
    pub start: NaiveDate,
    pub plan_type: &'static str,
    pub evaluations: Vec<NaiveDate>,
    pub end: Option<NaiveDate>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Tiltak {
    pub id: Uuid,
    pub measure: Option<u32>,
    pub start: NaiveDate,
    pub law: Lovhjemmel,
    pub category: &'static str,
    pub precision: Option<String>,
    /// A foster home's visits (Oppfolging, Tilsyn); `None` for any other measure.
    pub visits: Option<FosterVisits>,
    pub end: Option<NaiveDate>,
}

/// A foster home's two kinds of visit as the registry takes them: each rate (4 or 2 a year)
/// from its day, and each visit made; the supervision's responsible municipality.
#[derive(Clone, Debug, PartialEq)]
pub struct FosterVisits {
    pub follow_up_rates: Vec<(Uuid, NaiveDate, &'static str)>,
    pub follow_ups: Vec<(Uuid, NaiveDate)>,
    pub supervision_responsible: (Uuid, NaiveDate, String),
    pub supervision_rates: Vec<(Uuid, NaiveDate, &'static str)>,
    pub supervisions: Vec<(Uuid, NaiveDate)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Vedtak {
    pub id: Uuid,
    pub start: NaiveDate,
    pub law: Lovhjemmel,
    /// (id, date, code): 1 approved, 2 sent to the board, 3 lapsed, 4 refused or ended.
    pub status: Vec<(Uuid, NaiveDate, &'static str)>,
    pub end: Option<NaiveDate>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Oversendelse {
    pub id: Uuid,
    pub start: NaiveDate,
    pub law: Lovhjemmel,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Relasjon {
    pub id: Uuid,
    pub from: (Uuid, &'static str),
    pub to: (Uuid, &'static str),
}

/// A stable id for a part of a case: the same part gets the same id in every export, so the
/// registry updates it rather than adding another.
pub(crate) fn part_id(case: CaseId, part: &str) -> Uuid {
    domain::values::derived_id(&[
        b"vern/registry/",
        case.as_uuid().as_bytes(),
        part.as_bytes(),
    ])
}

fn day(at: &DateTime<Utc>) -> NaiveDate {
    oslo_date(*at)
}

impl Sak {
    /// Reads the case. `None` for a case with no events.
    pub fn read(file: &CaseFile<'_>) -> Option<Self> {
        let case = file.case_id;
        let id = |part: String| part_id(case, &part);
        let mut sak: Option<Sak> = None;
        let mut relation = 0u32;
        // The vedtak of the care order in force, which lapses if not carried out in time.
        let mut care_order: Option<Uuid> = None;
        // The municipality responsible for the supervision of a foster home it places.
        let mut municipality = String::new();
        let foster_visits = |tiltak: Uuid, start: NaiveDate, municipality: &str| FosterVisits {
            follow_up_rates: vec![(id(format!("{tiltak}/oppfolging/hyppighet/1")), start, "4")],
            follow_ups: Vec::new(),
            supervision_responsible: (
                id(format!("{tiltak}/tilsyn/ansvarlig")),
                start,
                municipality.to_owned(),
            ),
            supervision_rates: vec![(id(format!("{tiltak}/tilsyn/hyppighet/1")), start, "4")],
            supervisions: Vec::new(),
        };
        for event in file.events {
            if let CaseEvent::CaseOpenedFromReport {
                municipality: number,
                ..
            } = event
            {
                municipality = domain::municipality::current(*number).as_str().to_owned();
            }
            if let CaseEvent::CaseOpenedFromReport { child, report, .. } = event {
                let start = day(&report.received_at);
                sak = Some(Sak {
                    id: case.as_uuid(),
                    start,
                    end: None,
                    // Vern's case number is the case id: never a person's number.
                    journal_number: case.as_uuid().to_string(),
                    personalia: personalia(child, start, id("personalia".into())),
                    meldinger: Vec::new(),
                    undersokelser: Vec::new(),
                    planer: Vec::new(),
                    tiltak: Vec::new(),
                    vedtak: Vec::new(),
                    oversendelser: Vec::new(),
                    relasjoner: Vec::new(),
                });
            }
            let Some(sak) = sak.as_mut() else {
                continue;
            };
            let mut relate =
                |sak: &mut Sak, from: (Uuid, &'static str), to: (Uuid, &'static str)| {
                    relation += 1;
                    sak.relasjoner.push(Relasjon {
                        id: id(format!("relasjon/{relation}")),
                        from,
                        to,
                    });
                };
            match event {
                CaseEvent::CaseOpenedFromReport {
                    report,
                    outcome,
                    at,
                    ..
                }
                | CaseEvent::ReportLinkedToCase {
                    report,
                    outcome,
                    at,
                    ..
                } => {
                    let stored = file.reports.get(&report.report_id);
                    let screened = day(at);
                    sak.meldinger.push(Melding {
                        id: id(format!("melding/{}", report.report_id.as_uuid())),
                        report_id: report.report_id,
                        start: day(&report.received_at),
                        reporter_code: stored.and_then(reporter_code),
                        case_content: stored
                            .map(|stored| case_content(stored, case))
                            .unwrap_or_default(),
                        conclusion: Some((screened, codes::report_conclusion(outcome, screened))),
                    });
                }
                CaseEvent::InvestigationOpened { report, at, .. } => {
                    let undersokelse = id(format!("undersokelse/{}", sak.undersokelser.len() + 1));
                    sak.undersokelser.push(Undersokelse {
                        id: undersokelse,
                        start: day(at),
                        report_received: day(&report.received_at),
                        grounds: Vec::new(),
                        extension_requested: None,
                        conclusion: None,
                    });
                    let melding = id(format!("melding/{}", report.report_id.as_uuid()));
                    relate(sak, (melding, "Melding"), (undersokelse, "Undersokelse"));
                }
                CaseEvent::InvestigationDeadlineExtended { at, .. } => {
                    if let Some(open) = sak.undersokelser.last_mut() {
                        open.extension_requested = Some(day(at));
                    }
                }
                CaseEvent::InvestigationConcluded {
                    outcome,
                    grounds,
                    at,
                    ..
                } => {
                    if let Some(open) = sak.undersokelser.last_mut() {
                        let date = day(at);
                        let (code, precision) = codes::investigation_conclusion(outcome, date);
                        open.grounds = grounds.iter().map(|g| g.as_str().to_owned()).collect();
                        open.conclusion = Some(Conclusion {
                            date,
                            code,
                            precision,
                        });
                    }
                }
                CaseEvent::MeasureStarted {
                    number,
                    kind,
                    plan,
                    in_family_network,
                    at,
                    ..
                } => {
                    let law = codes::measure_law(kind, plan.starts_on);
                    let (category, precision) = codes::measure_category(kind, *in_family_network);
                    let tiltak = id(format!("tiltak/{number}"));
                    let vedtak = id(format!("vedtak/tiltak/{number}"));
                    sak.tiltak.push(Tiltak {
                        id: tiltak,
                        measure: Some(*number),
                        start: plan.starts_on,
                        law: law.clone(),
                        category,
                        precision,
                        visits: (*kind == domain::case::MeasureKind::FosterHome)
                            .then(|| foster_visits(tiltak, plan.starts_on, &municipality)),
                        end: None,
                    });
                    sak.vedtak.push(Vedtak {
                        id: vedtak,
                        start: day(at),
                        law,
                        status: vec![(
                            id(format!("vedtak/tiltak/{number}/status/1")),
                            day(at),
                            "1",
                        )],
                        end: None,
                    });
                    sak.planer.push(Plan {
                        id: id(format!("plan/{number}")),
                        start: plan.starts_on,
                        plan_type: "1",
                        evaluations: Vec::new(),
                        end: None,
                    });
                    // The decision follows the investigation that concluded with measures.
                    if *number == 1
                        && let Some(undersokelse) = sak
                            .undersokelser
                            .iter()
                            .rev()
                            .find(|u| u.conclusion.as_ref().is_some_and(|c| c.code == "1"))
                    {
                        let from = (undersokelse.id, "Undersokelse");
                        relate(sak, from, (vedtak, "Vedtak"));
                    }
                    relate(sak, (vedtak, "Vedtak"), (tiltak, "Tiltak"));
                }
                CaseEvent::MeasureEvaluated { number, at, .. } => {
                    if let Some(plan) = sak
                        .planer
                        .iter_mut()
                        .find(|p| p.id == id(format!("plan/{number}")))
                    {
                        plan.evaluations.push(day(at));
                    }
                }
                CaseEvent::MeasureChanged {
                    number,
                    kind,
                    plan,
                    in_family_network,
                    at,
                    ..
                } => {
                    let changed = day(at);
                    let changes = sak
                        .tiltak
                        .iter()
                        .filter(|t| t.measure == Some(*number))
                        .count();
                    if let Some(current) = sak
                        .tiltak
                        .iter_mut()
                        .rev()
                        .find(|t| t.measure == Some(*number) && t.end.is_none())
                    {
                        current.end = Some(changed);
                    }
                    let (category, precision) = codes::measure_category(kind, *in_family_network);
                    let changed_tiltak = id(format!("tiltak/{number}/{changes}"));
                    sak.tiltak.push(Tiltak {
                        id: changed_tiltak,
                        measure: Some(*number),
                        start: plan.starts_on.max(changed),
                        law: codes::measure_law(kind, plan.starts_on),
                        category,
                        precision,
                        visits: (*kind == domain::case::MeasureKind::FosterHome).then(|| {
                            foster_visits(
                                changed_tiltak,
                                plan.starts_on.max(changed),
                                &municipality,
                            )
                        }),
                        end: None,
                    });
                }
                CaseEvent::MeasureEnded { number, at, .. } => {
                    let ended = day(at);
                    for tiltak in sak.tiltak.iter_mut().filter(|t| t.measure == Some(*number)) {
                        tiltak.end.get_or_insert(ended);
                    }
                    if let Some(plan) = sak
                        .planer
                        .iter_mut()
                        .find(|p| p.id == id(format!("plan/{number}")))
                    {
                        plan.end.get_or_insert(ended);
                    }
                    if let Some(vedtak) = sak
                        .vedtak
                        .iter_mut()
                        .find(|v| v.id == id(format!("vedtak/tiltak/{number}")))
                    {
                        vedtak.end.get_or_insert(ended);
                    }
                }
                CaseEvent::EmergencyDecisionMade {
                    number, kind, at, ..
                } => {
                    let made = day(at);
                    sak.vedtak.push(Vedtak {
                        id: id(format!("vedtak/akutt/{number}")),
                        start: made,
                        law: codes::emergency_law(*kind, made),
                        // Sent to the board's chair for approval at once, but "begjæring
                        // oversendt nemnd" (2) is the petition, which comes later or never.
                        status: Vec::new(),
                        end: None,
                    });
                }
                CaseEvent::EmergencyDecisionApproved { number, at } => {
                    status(
                        sak,
                        id(format!("vedtak/akutt/{number}")),
                        id(format!("vedtak/akutt/{number}/status/approved")),
                        day(at),
                        "1",
                        false,
                    );
                }
                CaseEvent::EmergencyDecisionRefused { number, at, .. } => {
                    status(
                        sak,
                        id(format!("vedtak/akutt/{number}")),
                        id(format!("vedtak/akutt/{number}/status/refused")),
                        day(at),
                        "4",
                        true,
                    );
                }
                CaseEvent::EmergencyDecisionLapsed { number, at } => {
                    status(
                        sak,
                        id(format!("vedtak/akutt/{number}")),
                        id(format!("vedtak/akutt/{number}/status/lapsed")),
                        day(at),
                        "3",
                        true,
                    );
                }
                CaseEvent::CareOrderLapsed { at } => {
                    if let Some(vedtak) = care_order {
                        let lapsed = id(format!("{vedtak}/status/lapsed"));
                        status(sak, vedtak, lapsed, day(at), "3", true);
                    }
                }
                CaseEvent::CareOrderCarriedOut { carried_out_on, .. } => {
                    // Carried out in time, entered after the lapse was recorded.
                    if let Some(vedtak) = care_order {
                        never_lapsed(sak, vedtak, *carried_out_on);
                    }
                }
                CaseEvent::EmergencyPetitionSent { number, at } => {
                    status(
                        sak,
                        id(format!("vedtak/akutt/{number}")),
                        id(format!("vedtak/akutt/{number}/status/petition")),
                        day(at),
                        "2",
                        false,
                    );
                    // Sent in time but entered after the lapse was recorded.
                    let sent = day(at);
                    never_lapsed(sak, id(format!("vedtak/akutt/{number}")), sent);
                    let kind = sak.vedtak.iter().any(|v| {
                        v.id == id(format!("vedtak/akutt/{number}"))
                            && v.law.paragraph == codes::BEHAVIOUR_EMERGENCY_PARAGRAPH
                    });
                    sak.oversendelser.push(Oversendelse {
                        id: id(format!("oversendelse/akutt/{number}")),
                        start: sent,
                        law: codes::board_law(
                            if kind {
                                domain::case::BoardProposalKind::BehaviourInstitution
                            } else {
                                domain::case::BoardProposalKind::CareOrder
                            },
                            sent,
                        ),
                    });
                }
                CaseEvent::BoardProposalSent { kind, at, .. } => {
                    let sent = day(at);
                    let n = sak.oversendelser.len() + 1;
                    sak.oversendelser.push(Oversendelse {
                        id: id(format!("oversendelse/{n}")),
                        start: sent,
                        law: codes::board_law(*kind, sent),
                    });
                }
                CaseEvent::BoardDecided {
                    kind,
                    outcome,
                    decided_on,
                    ..
                } => {
                    let n = sak.vedtak.len() + 1;
                    let granted = matches!(outcome, domain::case::BoardOutcome::Granted);
                    if granted && *kind == domain::case::BoardProposalKind::CareOrder {
                        care_order = Some(id(format!("vedtak/nemnd/{n}")));
                    }
                    sak.vedtak.push(Vedtak {
                        id: id(format!("vedtak/nemnd/{n}")),
                        start: *decided_on,
                        law: codes::board_law(*kind, *decided_on),
                        status: vec![(
                            id(format!("vedtak/nemnd/{n}/status/1")),
                            *decided_on,
                            if granted { "1" } else { "4" },
                        )],
                        end: (!granted).then_some(*decided_on),
                    });
                }
                CaseEvent::PlanMade { kind, made_on, .. } => {
                    let (name, plan_type) = match kind {
                        domain::case::PlanKind::EmergencyInvestigation => ("akutt", "8"),
                        domain::case::PlanKind::PreliminaryCare => ("forelopig-omsorg", "3"),
                    };
                    let n = sak.planer.len() + 1;
                    sak.planer.push(Plan {
                        id: id(format!("plan/{name}/{n}")),
                        start: *made_on,
                        plan_type,
                        evaluations: Vec::new(),
                        end: None,
                    });
                }
                CaseEvent::CarePlanMade {
                    placement,
                    placed_on,
                    in_family_network,
                    ..
                } => {
                    let n = sak.planer.len() + 1;
                    sak.planer.push(Plan {
                        id: id(format!("plan/omsorg/{n}")),
                        start: *placed_on,
                        plan_type: "4",
                        evaluations: Vec::new(),
                        end: None,
                    });
                    let (category, precision) =
                        codes::placement_category(*placement, *in_family_network);
                    let care_tiltak = id(format!("tiltak/omsorg/{n}"));
                    sak.tiltak.push(Tiltak {
                        id: care_tiltak,
                        measure: None,
                        start: *placed_on,
                        law: codes::care_order_law(*placed_on),
                        category,
                        precision,
                        visits: (*placement == domain::case::CarePlacement::FosterHome)
                            .then(|| foster_visits(care_tiltak, *placed_on, &municipality)),
                        end: None,
                    });
                }
                CaseEvent::FollowUpVisitRecorded { visited_on, .. }
                | CaseEvent::SupervisionVisitRecorded { visited_on, .. } => {
                    let supervision = matches!(event, CaseEvent::SupervisionVisitRecorded { .. });
                    if let Some((tiltak, visits)) = foster_home(sak) {
                        let (kind, done) = if supervision {
                            ("tilsyn", &mut visits.supervisions)
                        } else {
                            ("oppfolging", &mut visits.follow_ups)
                        };
                        let n = done.len() + 1;
                        done.push((id(format!("{tiltak}/{kind}/utfort/{n}")), *visited_on));
                    }
                }
                CaseEvent::VisitRateDecided {
                    visits: kind,
                    per_year,
                    at,
                    ..
                } => {
                    if let Some((tiltak, visits)) = foster_home(sak) {
                        let (name, rates) = match kind {
                            domain::case::VisitKind::FollowUp => {
                                ("oppfolging", &mut visits.follow_up_rates)
                            }
                            domain::case::VisitKind::Supervision => {
                                ("tilsyn", &mut visits.supervision_rates)
                            }
                        };
                        let n = rates.len() + 1;
                        let code = if *per_year < 4 { "2" } else { "4" };
                        rates.push((id(format!("{tiltak}/{name}/hyppighet/{n}")), day(at), code));
                    }
                }
                CaseEvent::CaseClosed { at, .. } => {
                    sak.end = Some(day(at));
                }
                _ => {}
            }
        }
        sak
    }
}

/// The foster home the child lives in: the latest foster home measure that has not ended.
fn foster_home(sak: &mut Sak) -> Option<(Uuid, &mut FosterVisits)> {
    sak.tiltak
        .iter_mut()
        .rev()
        .filter(|tiltak| tiltak.end.is_none())
        .find_map(|tiltak| tiltak.visits.as_mut().map(|visits| (tiltak.id, visits)))
}

/// A step taken on `on`, in time, but entered after the lapse was recorded: the vedtak never
/// lapsed, so its status 3 and the end it gave go.
fn never_lapsed(sak: &mut Sak, vedtak: Uuid, on: NaiveDate) {
    if let Some(vedtak) = sak.vedtak.iter_mut().find(|v| v.id == vedtak)
        && vedtak
            .status
            .iter()
            .any(|(_, lapsed, code)| *code == "3" && *lapsed > on)
    {
        vedtak.status.retain(|(_, _, code)| *code != "3");
        vedtak.end = None;
    }
}

fn status(
    sak: &mut Sak,
    vedtak: Uuid,
    status_id: Uuid,
    date: NaiveDate,
    code: &'static str,
    ends: bool,
) {
    if let Some(vedtak) = sak.vedtak.iter_mut().find(|v| v.id == vedtak) {
        vedtak.status.push((status_id, date, code));
        if ends {
            vedtak.end.get_or_insert(date);
        }
    }
}

fn personalia(child: &ChildIdentity, start: NaiveDate, id: Uuid) -> Option<Personalia> {
    match child {
        ChildIdentity::Number(number) => {
            let digits = number.expose_digits();
            let ninth = digits.as_bytes().get(8).map_or(0, |b| b - b'0');
            Some(Personalia {
                id,
                start,
                number: digits.to_owned(),
                birth_date: number.birth_date(),
                sex: if ninth % 2 == 1 { "1" } else { "2" },
            })
        }
        // The registry's form for an unborn child: due date (DDMMYY) and 99999.
        ChildIdentity::Unborn {
            expected_birth_date,
            ..
        } => Some(Personalia {
            id,
            start: start.min(*expected_birth_date),
            number: format!("{}99999", expected_birth_date.format("%d%m%y")),
            birth_date: *expected_birth_date,
            sex: "0",
        }),
        // Without a number Vern does not know the child's sex, which the registry requires:
        // the finding asks for the child to be identified.
        ChildIdentity::NameAndBirthDate { .. } | ChildIdentity::Unidentified { .. } => None,
    }
}

/// Melder: a public reporter's code as recorded at screening; a private reporter's from the
/// relation; 23 for an anonymous reporter.
fn reporter_code(report: &Report) -> Option<String> {
    match &report.reporter {
        Reporter::Public { .. } => report
            .screening
            .as_ref()
            .and_then(|screening| screening.reporter_code.as_ref())
            .map(|code| code.as_str().to_owned()),
        Reporter::PrivateNamed { relation, .. } => Some(relation.registry_code().to_string()),
        Reporter::PrivateAnonymous => Some("23".to_owned()),
    }
}

fn case_content(report: &Report, case: CaseId) -> Vec<String> {
    report
        .screening
        .iter()
        .flat_map(|screening| &screening.children)
        .filter(|child| child.case.case_id() == case)
        .flat_map(|child| {
            child
                .case_content
                .iter()
                .map(|code| code.as_str().to_owned())
        })
        .collect()
}
