//! An event's key facts in Norwegian for the timeline and report pages: its outcome, measure,
//! dates, codes, which decision or plan it concerns, and which deadline it meets. Written out
//! per event, never derived from the payload's shape, so a field added later (free text, a
//! child's identity) shows only when someone decides it may: free text and the reporter's or
//! child's identity never reach these pages.

use chrono::NaiveDate;
use domain::case::{
    ActivityKind, BoardOutcome, BoardProposalKind, CarePlacement, CaseEvent, CloseReason,
    ConclusionOutcome, ConsultationPartner, EmergencyDecisionKind, MeasureKind, PlanKind,
    VisitKind,
};
use domain::report::{LetterKind, ReportEvent, ScreeningOutcome};
use domain::values::Urgency;
use maud::{Markup, html};

/// One fact: what it is, and its value (markup, for a link to a report or a case).
pub(crate) type Fact = (&'static str, Markup);

fn day(date: NaiveDate) -> Markup {
    html! { (date.format("%d.%m.%Y")) }
}

fn text(value: impl std::fmt::Display) -> Markup {
    html! { (value) }
}

fn report_link(report: domain::report::ReportId) -> Markup {
    let id = report.as_uuid();
    html! { a href={ "/reports/" (id) } { "melding " (&id.simple().to_string()[..8]) } }
}

pub(crate) fn case_link(case: domain::case::CaseId) -> Markup {
    let id = case.as_uuid();
    html! { a href={ "/cases/" (id) } { "sak " (&id.simple().to_string()[..8]) } }
}

pub(crate) fn urgency(urgency: Urgency) -> &'static str {
    match urgency {
        Urgency::Red => "rød",
        Urgency::Yellow => "gul",
        Urgency::Green => "grønn",
    }
}

pub(crate) fn screening(outcome: &ScreeningOutcome) -> &'static str {
    match outcome {
        ScreeningOutcome::Dismissed {
            obviously_unfounded: true,
            ..
        } => "henlagt, åpenbart grunnløs (kode 1)",
        ScreeningOutcome::Dismissed { .. } => "henlagt (kode 1)",
        ScreeningOutcome::InvestigationOpened => "undersøkelse åpnet (kode 2)",
        ScreeningOutcome::DismissedMeasuresActive { .. } => {
            "henlagt, tiltak allerede i gang (kode 3)"
        }
        ScreeningOutcome::ConcernsOngoingInvestigation => {
            "gjelder en pågående undersøkelse (kode 4)"
        }
    }
}

fn conclusion(outcome: &ConclusionOutcome) -> &'static str {
    match outcome {
        ConclusionOutcome::MeasuresDecided => "vedtak om tiltak (kode 1)",
        ConclusionOutcome::PetitionToBoard { .. } => "begjæring til nemnda (kode 2)",
        ConclusionOutcome::DismissedOnAssessment => "henlagt etter vurdering (kode 3)",
        ConclusionOutcome::DismissedPartiesDeclined => "henlagt, partene ville ikke (kode 4)",
        ConclusionOutcome::DismissedFamilyMoved { .. } => "henlagt, familien flyttet (kode 5)",
        ConclusionOutcome::DismissedAfterReferral => "henlagt etter henvisning (kode 6)",
    }
}

fn measure(kind: &MeasureKind) -> &'static str {
    match kind {
        MeasureKind::FamilyCouncil => "familieråd",
        MeasureKind::ParentalGuidanceCos => "foreldreveiledning (COS)",
        MeasureKind::MarteMeo => "Marte Meo",
        MeasureKind::Pmto => "PMTO",
        MeasureKind::Mst => "MST",
        MeasureKind::AcuteFamilyTeam => "akutt familieteam",
        MeasureKind::Relief => "avlastning",
        MeasureKind::KindergartenPlace => "barnehageplass",
        MeasureKind::OtherInHome { .. } => "annet hjelpetiltak i hjemmet",
        MeasureKind::FosterHome => "fosterhjem",
        MeasureKind::Institution => "institusjon",
        MeasureKind::OtherOutOfHome { .. } => "annet tiltak utenfor hjemmet",
    }
}

fn proposal(kind: BoardProposalKind) -> &'static str {
    match kind {
        BoardProposalKind::CareOrder => "omsorgsovertakelse",
        BoardProposalKind::BehaviourInstitution => "institusjon for atferdsvansker",
    }
}

fn emergency(kind: EmergencyDecisionKind) -> &'static str {
    match kind {
        EmergencyDecisionKind::Placement => "plassering utenfor hjemmet",
        EmergencyDecisionKind::BehaviourInstitution => "institusjon for atferdsvansker",
    }
}

fn partner(partner: ConsultationPartner) -> &'static str {
    match partner {
        ConsultationPartner::Police => "politiet",
        ConsultationPartner::Barnehus => "Statens barnehus",
    }
}

fn partners(list: &[ConsultationPartner]) -> Markup {
    text(
        list.iter()
            .map(|p| partner(*p))
            .collect::<Vec<_>>()
            .join(" og "),
    )
}

fn activity(kind: &ActivityKind) -> &'static str {
    match kind {
        ActivityKind::StartUpMeeting => "oppstartsmøte",
        ActivityKind::GatheringInformation => "innhenting av opplysninger",
        ActivityKind::ConversationWithChild => "samtale med barnet",
        ActivityKind::ConversationWithParents => "samtale med foreldrene",
        ActivityKind::HomeVisit => "hjemmebesøk",
        ActivityKind::AssessmentTool(_) => "kartleggingsverktøy",
        ActivityKind::SummaryMeeting => "oppsummeringsmøte",
    }
}

fn yes(value: bool) -> Markup {
    text(if value { "ja" } else { "nei" })
}

/// A case event's key facts.
pub(crate) fn case_facts(event: &CaseEvent) -> Vec<Fact> {
    match event {
        CaseEvent::CaseOpenedFromReport {
            report,
            outcome,
            emergency_action,
            urgency: level,
            ..
        } => {
            let mut facts = vec![
                ("Melding", report_link(report.report_id)),
                ("Utfall", text(screening(outcome))),
                ("Hast", text(urgency(*level))),
                ("Frist møtt", text("gjennomgang av meldingen")),
            ];
            if *emergency_action {
                facts.push(("Akuttiltak", yes(true)));
            }
            facts
        }
        CaseEvent::ReportLinkedToCase {
            report,
            outcome,
            urgency: level,
            ..
        } => vec![
            ("Melding", report_link(report.report_id)),
            ("Utfall", text(screening(outcome))),
            ("Hast", text(urgency(*level))),
            ("Frist møtt", text("gjennomgang av meldingen")),
        ],
        CaseEvent::InvestigationOpened {
            report,
            counts_from,
            ..
        } => vec![
            ("Melding", report_link(report.report_id)),
            ("Undersøkelsesfristen regnes fra", day(*counts_from)),
        ],
        CaseEvent::UrgencyChanged { from, to, .. } => {
            vec![("Fra", text(urgency(*from))), ("Til", text(urgency(*to)))]
        }
        CaseEvent::InvestigationStarted { .. } => vec![],
        CaseEvent::InvestigationActivityRecorded {
            activity: kind,
            held_on,
            ..
        } => vec![("Aktivitet", text(activity(kind))), ("Dato", day(*held_on))],
        CaseEvent::InvestigationDeadlineExtended { to_months, .. } => {
            vec![("Ny frist", html! { (to_months) " måneder" })]
        }
        CaseEvent::ConsultationHeld {
            partners: list,
            held_on,
            ..
        } => vec![("Med", partners(list)), ("Dato", day(*held_on))],
        CaseEvent::ForensicInterviewHeld { held_on, .. } => vec![("Dato", day(*held_on))],
        CaseEvent::ForensicInterviewPostponed { to, .. } => vec![("Utsatt til", day(*to))],
        CaseEvent::ForensicInterviewNotHeld { .. } | CaseEvent::ReportedToPolice { .. } => {
            vec![]
        }
        CaseEvent::InvestigationConcluded {
            outcome, grounds, ..
        } => {
            let mut facts = vec![
                ("Utfall", text(conclusion(outcome))),
                ("Frist møtt", text("undersøkelsen")),
            ];
            if let ConclusionOutcome::PetitionToBoard { proposal: kind } = outcome {
                facts.push(("Begjæring om", text(proposal(*kind))));
            }
            if !grounds.is_empty() {
                let codes: Vec<&str> = grounds.iter().map(|code| code.as_str()).collect();
                facts.push(("Vedtaksgrunnlag", text(codes.join(", "))));
            }
            facts
        }
        CaseEvent::MeasureStarted {
            number,
            kind,
            next_evaluation_on,
            in_family_network,
            ..
        }
        | CaseEvent::MeasureChanged {
            number,
            kind,
            next_evaluation_on,
            in_family_network,
            ..
        } => {
            let mut facts = vec![
                ("Tiltak", html! { "nr. " (number) ", " (measure(kind)) }),
                ("Neste evaluering", day(*next_evaluation_on)),
            ];
            if *in_family_network {
                facts.push(("I familie og nettverk", yes(true)));
            }
            facts
        }
        CaseEvent::MeasureEvaluated {
            number,
            next_evaluation_on,
            ..
        } => vec![
            ("Tiltak", html! { "nr. " (number) }),
            ("Frist møtt", text("evaluering av tiltaksplanen")),
            ("Neste evaluering", day(*next_evaluation_on)),
        ],
        CaseEvent::MeasureExtended {
            number,
            next_evaluation_on,
            ..
        } => vec![
            ("Tiltak", html! { "nr. " (number) }),
            ("Neste evaluering", day(*next_evaluation_on)),
        ],
        CaseEvent::MeasureEnded { number, .. } => vec![("Tiltak", html! { "nr. " (number) })],
        CaseEvent::EmergencyDecisionMade { number, kind, .. } => vec![
            ("Vedtak", html! { "nr. " (number) ", " (emergency(*kind)) }),
            ("Starter frister", text("godkjenning, begjæring til nemnda")),
        ],
        CaseEvent::EmergencyDecisionApproved { number, .. } => vec![
            ("Vedtak", html! { "nr. " (number) }),
            ("Frist møtt", text("godkjenning av akuttvedtaket")),
        ],
        CaseEvent::EmergencyDecisionRefused { number, .. }
        | CaseEvent::EmergencyDecisionLapsed { number, .. } => {
            vec![("Vedtak", html! { "nr. " (number) })]
        }
        CaseEvent::EmergencyPetitionSent { number, .. } => vec![
            ("Vedtak", html! { "nr. " (number) }),
            ("Frist møtt", text("begjæring til nemnda etter akuttvedtak")),
        ],
        CaseEvent::BoardProposalSent { kind, .. } => vec![("Gjelder", text(proposal(*kind)))],
        CaseEvent::BoardDecided {
            kind,
            outcome,
            decided_on,
            ..
        } => vec![
            ("Gjelder", text(proposal(*kind))),
            (
                "Utfall",
                text(match outcome {
                    BoardOutcome::Granted => "tatt til følge",
                    BoardOutcome::Rejected => "ikke tatt til følge",
                }),
            ),
            ("Vedtatt", day(*decided_on)),
        ],
        CaseEvent::CareOrderCarriedOut { carried_out_on, .. } => vec![
            ("Gjennomført", day(*carried_out_on)),
            ("Frist møtt", text("gjennomføring av omsorgsovertakelsen")),
        ],
        CaseEvent::CareOrderImplementationExtended { to, .. } => {
            vec![("Ny siste dag", day(*to))]
        }
        CaseEvent::CareOrderLapsed { .. } => vec![],
        CaseEvent::CarePlanMade {
            placement,
            placed_on,
            in_family_network,
            ..
        } => {
            let mut facts = vec![
                (
                    "Plassering",
                    text(match placement {
                        CarePlacement::FosterHome => "fosterhjem",
                        CarePlacement::Institution => "institusjon",
                    }),
                ),
                ("Plassert", day(*placed_on)),
                ("Frist møtt", text("omsorgsplan")),
            ];
            if *in_family_network {
                facts.push(("I familie og nettverk", yes(true)));
            }
            facts
        }
        CaseEvent::PlanMade {
            kind,
            decision,
            made_on,
            ..
        } => {
            let mut facts = vec![
                (
                    "Plan",
                    text(match kind {
                        PlanKind::EmergencyInvestigation => "undersøkelsesplan etter akuttvedtak",
                        PlanKind::PreliminaryCare => "foreløpig omsorgsplan",
                    }),
                ),
                ("Laget", day(*made_on)),
            ];
            if let Some(number) = decision {
                facts.push(("Akuttvedtak", html! { "nr. " (number) }));
            }
            facts
        }
        CaseEvent::SupervisionVisitRecorded { visited_on, .. } => vec![
            ("Besøkt", day(*visited_on)),
            ("Frist møtt", text("tilsynsbesøk")),
        ],
        CaseEvent::FollowUpVisitRecorded { visited_on, .. } => vec![
            ("Besøkt", day(*visited_on)),
            ("Frist møtt", text("oppfølgingsbesøk")),
        ],
        CaseEvent::VisitRateDecided {
            visits, per_year, ..
        } => vec![
            (
                "Besøk",
                text(match visits {
                    VisitKind::FollowUp => "oppfølgingsbesøk",
                    VisitKind::Supervision => "tilsynsbesøk",
                }),
            ),
            ("Per år", text(per_year)),
        ],
        CaseEvent::CaseClosed { reason, .. } => vec![(
            "Grunn",
            text(match reason {
                CloseReason::DismissedAtScreening => "meldingen ble henlagt",
                CloseReason::Decided { .. } => "besluttet",
            }),
        )],
        CaseEvent::CaseAssigned { assignee, .. } => {
            let mut facts = vec![("Team", text(assignee.team.as_str()))];
            if let Some(caseworker) = &assignee.caseworker {
                facts.push(("Saksbehandler", text(caseworker.as_str())));
            }
            facts
        }
        CaseEvent::PartnersInvitedToConsultation {
            consultation,
            partners: list,
            ..
        } => vec![
            ("Samråd", html! { "nr. " (consultation) }),
            ("Invitert", partners(list)),
        ],
        CaseEvent::PartnerAttendanceRecorded {
            consultation,
            partner: who,
            attending,
            ..
        } => vec![
            ("Samråd", html! { "nr. " (consultation) }),
            ("Fra", text(partner(*who))),
            ("Kommer", yes(*attending)),
        ],
        CaseEvent::PartnerInterviewDecided {
            consultation,
            partner: who,
            ..
        } => vec![
            ("Samråd", html! { "nr. " (consultation) }),
            ("Fra", text(partner(*who))),
        ],
        CaseEvent::PoliceReportDecided {
            consultation,
            filed,
            ..
        } => vec![
            ("Samråd", html! { "nr. " (consultation) }),
            ("Anmeldt", yes(*filed)),
        ],
        CaseEvent::PartnerConsultationClosed { consultation, .. } => {
            vec![("Samråd", html! { "nr. " (consultation) })]
        }
    }
}

/// A report event's key facts; `cases` gets each case the screening opened or added to.
pub(crate) fn report_facts(
    event: &ReportEvent,
    cases: &mut Vec<domain::case::CaseId>,
) -> Vec<Fact> {
    match event {
        ReportEvent::ReportReceived {
            children,
            urgency: level,
            ..
        } => vec![
            ("Barn", text(children.len())),
            ("Hast", text(urgency(*level))),
            (
                "Starter frister",
                text("gjennomgang innen en uke, brev til melder"),
            ),
        ],
        ReportEvent::ReportUrgencyChanged { from, to, .. } => {
            vec![("Fra", text(urgency(*from))), ("Til", text(urgency(*to)))]
        }
        ReportEvent::ReportScreened { children, .. } => {
            let mut facts = vec![("Frist møtt", text("gjennomgang av meldingen"))];
            for child in children {
                let case = child.case.case_id();
                cases.push(case);
                facts.push((
                    "Barn",
                    html! {
                        "nr. " (child.child_index + 1) ": " (screening(&child.outcome)) ", "
                        (case_link(case))
                    },
                ));
            }
            facts
        }
        ReportEvent::FeedbackLetterSent { letters, .. } => {
            let names: Vec<&str> = letters
                .iter()
                .map(|letter| match letter {
                    LetterKind::Receipt => "bekreftelse på mottatt melding",
                    LetterKind::InvestigationOutcome => "om undersøkelse ble åpnet",
                    LetterKind::Conclusion { .. } => "om undersøkelsen er avsluttet",
                })
                .collect();
            vec![("Brev sendt", text(names.join(", ")))]
        }
        ReportEvent::ReportAssigned { assignee, .. } => {
            let mut facts = vec![("Team", text(assignee.team.as_str()))];
            if let Some(caseworker) = &assignee.caseworker {
                facts.push(("Saksbehandler", text(caseworker.as_str())));
            }
            facts
        }
    }
}

/// Facts as a compact list.
pub(crate) fn list(facts: &[Fact]) -> Markup {
    html! {
        @if !facts.is_empty() {
            dl.facts {
                @for (label, value) in facts {
                    dt { (label) } dd { (value) }
                }
            }
        }
    }
}
