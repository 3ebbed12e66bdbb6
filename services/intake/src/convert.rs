//! Requests into domain commands. Every failure names the request field it is about, using
//! the proto's own paths (`children[1].national_identity_number`), and nothing is written.

use api::common::v1 as common_pb;
use api::intake::v1 as pb;
use chrono::{DateTime, Utc};
use domain::case::CaseId;
use domain::registry::{CaseContentCode, ReporterCode};
use domain::report::{
    CaseAssignment, ChildScreening, DismissalGround, ReceiveReport, ReportId, ScreenReport,
    ScreeningOutcome,
};
use domain::values::{
    ChildIdentity, ConcernCategory, PersonIdentity, PrivateReporterRelation, Reporter,
};
use handling::{Error, Handler, convert as common};
use uuid::Uuid;

pub(crate) fn receive_report(
    request: pb::SubmitReportRequest,
    report_id: ReportId,
    handler: &Handler,
    now: DateTime<Utc>,
) -> Result<ReceiveReport, Error> {
    let today = domain::calendar::oslo_date(now);
    let municipality = common::municipality(
        "municipality",
        &request.municipality,
        handler.municipalities(),
    )?;
    let received_at = match &request.received_at {
        Some(timestamp) => common::timestamp("received_at", timestamp)?,
        None => now,
    };
    let reporter = reporter(
        common::required("reporter", request.reporter.as_ref())?,
        handler,
    )?;
    if request.children.is_empty() {
        return Err(Error::invalid("children", "must name at least one child"));
    }
    let children = request
        .children
        .iter()
        .enumerate()
        .map(|(index, child)| self::child(&format!("children[{index}]"), child, today))
        .collect::<Result<Vec<_>, _>>()?;
    if request.concerns.is_empty() {
        return Err(Error::invalid("concerns", "must name at least one concern"));
    }
    let concerns = request
        .concerns
        .iter()
        .enumerate()
        .map(|(index, value)| concern(&format!("concerns[{index}]"), *value))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ReceiveReport {
        report_id,
        received_at,
        municipality,
        reporter,
        children,
        concerns,
        summary: common::long_text("summary", &request.summary)?,
        urgency: common::urgency("urgency", request.urgency)?,
        details: None,
    })
}

fn reporter(reporter: &pb::Reporter, _handler: &Handler) -> Result<Reporter, Error> {
    match reporter.kind.as_ref() {
        None => Err(Error::invalid(
            "reporter.kind",
            "is required: public, private_named or anonymous",
        )),
        Some(pb::reporter::Kind::Public(public)) => Ok(Reporter::Public {
            organisation: common::short_text("reporter.public.organisation", &public.organisation)?,
            role: common::short_text("reporter.public.role", &public.role)?,
            name: common::short_text("reporter.public.name", &public.name)?,
            identity_withheld_from_parties: public.identity_withheld_from_parties,
        }),
        Some(pb::reporter::Kind::PrivateNamed(private)) => Ok(Reporter::PrivateNamed {
            name: common::short_text("reporter.private_named.name", &private.name)?,
            relation: match common::enum_value::<pb::PrivateRelation>(
                "reporter.private_named.relation",
                private.relation,
            )? {
                pb::PrivateRelation::TheChild => PrivateReporterRelation::TheChild,
                pb::PrivateRelation::Parent => PrivateReporterRelation::Parent,
                pb::PrivateRelation::OtherFamily => PrivateReporterRelation::OtherFamily,
                pb::PrivateRelation::OtherPrivatePerson | pb::PrivateRelation::Unspecified => {
                    PrivateReporterRelation::OtherPrivatePerson
                }
            },
            identity_withheld_from_parties: private.identity_withheld_from_parties,
        }),
        Some(pb::reporter::Kind::Anonymous(_)) => Ok(Reporter::PrivateAnonymous),
    }
}

fn child(
    field: &str,
    child: &common_pb::Child,
    today: chrono::NaiveDate,
) -> Result<ChildIdentity, Error> {
    use common_pb::child::Identity;
    match child.identity.as_ref() {
        None => Err(Error::invalid(
            format!("{field}.identity"),
            "is required: national_identity_number, name_and_birth_date or unborn",
        )),
        Some(Identity::NationalIdentityNumber(number)) => Ok(ChildIdentity::parse_number(
            &format!("{field}.national_identity_number"),
            number,
        )?),
        Some(Identity::NameAndBirthDate(named)) => {
            let field = format!("{field}.name_and_birth_date");
            require_date(&format!("{field}.birth_date"), &named.birth_date)?;
            Ok(ChildIdentity::parse_name_and_birth_date(
                &field,
                &named.name,
                &named.birth_date,
                today,
            )?)
        }
        Some(Identity::Unborn(unborn)) => {
            let field = format!("{field}.unborn");
            let mother = person(
                &format!("{field}.mother"),
                common::required(&format!("{field}.mother"), unborn.mother.as_ref())?,
                today,
            )?;
            require_date(
                &format!("{field}.expected_birth_date"),
                &unborn.expected_birth_date,
            )?;
            Ok(ChildIdentity::parse_unborn(
                &field,
                &unborn.expected_birth_date,
                mother,
                today,
            )?)
        }
    }
}

fn person(
    field: &str,
    person: &common_pb::Person,
    today: chrono::NaiveDate,
) -> Result<PersonIdentity, Error> {
    use common_pb::person::Identity;
    match person.identity.as_ref() {
        None => Err(Error::invalid(
            format!("{field}.identity"),
            "is required: national_identity_number or name_and_birth_date",
        )),
        Some(Identity::NationalIdentityNumber(number)) => Ok(PersonIdentity::Number(
            domain::values::NationalIdentityNumber::parse(
                &format!("{field}.national_identity_number"),
                number,
            )?,
        )),
        Some(Identity::NameAndBirthDate(named)) => {
            let field = format!("{field}.name_and_birth_date");
            require_date(&format!("{field}.birth_date"), &named.birth_date)?;
            Ok(PersonIdentity::parse_name_and_birth_date(
                &field,
                &named.name,
                &named.birth_date,
                today,
            )?)
        }
    }
}

fn require_date(field: &str, value: &str) -> Result<(), Error> {
    common::date(field, value).map(|_| ())
}

fn concern(field: &str, value: i32) -> Result<ConcernCategory, Error> {
    use pb::ConcernCategory as P;
    Ok(match common::enum_value::<P>(field, value)? {
        P::Violence => ConcernCategory::Violence,
        P::SexualAbuse => ConcernCategory::SexualAbuse,
        P::Neglect => ConcernCategory::Neglect,
        P::ParentalSubstanceUse => ConcernCategory::ParentalSubstanceUse,
        P::SubstanceUseInPregnancy => ConcernCategory::SubstanceUseInPregnancy,
        P::Behaviour => ConcernCategory::Behaviour,
        P::ChildSubstanceUse => ConcernCategory::ChildSubstanceUse,
        P::MentalHealth => ConcernCategory::MentalHealth,
        P::Other => ConcernCategory::Other,
        P::Unspecified => return Err(Error::invalid(field, "is required")),
    })
}

pub(crate) fn from_concern(concern: ConcernCategory) -> pb::ConcernCategory {
    use pb::ConcernCategory as P;
    match concern {
        ConcernCategory::Violence => P::Violence,
        ConcernCategory::SexualAbuse => P::SexualAbuse,
        ConcernCategory::Neglect => P::Neglect,
        ConcernCategory::ParentalSubstanceUse => P::ParentalSubstanceUse,
        ConcernCategory::SubstanceUseInPregnancy => P::SubstanceUseInPregnancy,
        ConcernCategory::Behaviour => P::Behaviour,
        ConcernCategory::ChildSubstanceUse => P::ChildSubstanceUse,
        ConcernCategory::MentalHealth => P::MentalHealth,
        ConcernCategory::Other => P::Other,
    }
}

/// New case ids are made here, once per request, so a retried decision uses the same ones.
pub(crate) fn screen_report(
    request: &pb::ScreenReportRequest,
    handler: &Handler,
) -> Result<ScreenReport, Error> {
    if request.children.is_empty() {
        return Err(Error::invalid(
            "children",
            "must screen every child of the report",
        ));
    }
    let children = request
        .children
        .iter()
        .enumerate()
        .map(|(index, child)| child_screening(&format!("children[{index}]"), child, handler))
        .collect::<Result<Vec<_>, _>>()?;
    let today = domain::calendar::oslo_date(handler.now());
    let reporter_code = match request.reporter_code.trim() {
        "" => None,
        code => Some(ReporterCode::parse("reporter_code", code, today)?),
    };
    Ok(ScreenReport {
        children,
        reporter_code,
    })
}

fn child_screening(
    field: &str,
    child: &pb::ChildScreening,
    handler: &Handler,
) -> Result<ChildScreening, Error> {
    use pb::child_screening::Outcome;
    let case = if child.existing_case_id.trim().is_empty() {
        CaseAssignment::NewCase(CaseId::new(Uuid::new_v4()))
    } else {
        CaseAssignment::ExistingOpenCase(CaseId::new(common::id(
            &format!("{field}.existing_case_id"),
            &child.existing_case_id,
        )?))
    };
    let outcome = match child.outcome.as_ref() {
        None => {
            return Err(Error::invalid(
                format!("{field}.outcome"),
                "is required: dismissed, investigation_opened, dismissed_measures_active or concerns_ongoing_investigation",
            ));
        }
        Some(Outcome::Dismissed(dismissal)) => {
            let ground_field = format!("{field}.dismissed.ground");
            let ground =
                match common::enum_value::<pb::DismissalGround>(&ground_field, dismissal.ground)? {
                    pb::DismissalGround::NoGroundsForInvestigation => {
                        DismissalGround::NoGroundsForInvestigation
                    }
                    pb::DismissalGround::OutsideTheAct => DismissalGround::OutsideTheAct,
                    pb::DismissalGround::ReferredToAnotherAgency => {
                        DismissalGround::ReferredToAnotherAgency
                    }
                    pb::DismissalGround::TransferredToAnotherMunicipality => {
                        DismissalGround::TransferredToAnotherMunicipality {
                            municipality: common::municipality(
                                &format!("{field}.dismissed.transferred_to_municipality"),
                                &dismissal.transferred_to_municipality,
                                handler.municipalities(),
                            )?,
                        }
                    }
                    pb::DismissalGround::Unspecified => {
                        return Err(Error::invalid(ground_field, "is required"));
                    }
                };
            ScreeningOutcome::Dismissed {
                ground,
                reasons: common::long_text(
                    &format!("{field}.dismissed.reasons"),
                    &dismissal.reasons,
                )?,
                obviously_unfounded: dismissal.obviously_unfounded,
            }
        }
        Some(Outcome::InvestigationOpened(_)) => ScreeningOutcome::InvestigationOpened,
        Some(Outcome::DismissedMeasuresActive(dismissal)) => {
            ScreeningOutcome::DismissedMeasuresActive {
                reasons: common::long_text(
                    &format!("{field}.dismissed_measures_active.reasons"),
                    &dismissal.reasons,
                )?,
            }
        }
        Some(Outcome::ConcernsOngoingInvestigation(_)) => {
            ScreeningOutcome::ConcernsOngoingInvestigation
        }
    };
    let case_content = CaseContentCode::parse_all(
        &format!("{field}.case_content"),
        &child.case_content,
        domain::calendar::oslo_date(handler.now()),
    )?;
    Ok(ChildScreening {
        case_content,
        child_index: child.child_index as usize,
        case,
        outcome,
        emergency_action: child.emergency_action,
        urgency: common::urgency(&format!("{field}.urgency"), child.urgency)?,
    })
}

/// Who reported and how to reach them, for the roles that write to reporters; `None` for an
/// anonymous reporter, of whom nothing is stored.
pub(crate) fn reporter_identity(report: &domain::report::Report) -> Option<pb::ReporterIdentity> {
    use domain::values::PrivateReporterRelation as R;
    let mut identity = match &report.reporter {
        Reporter::PrivateAnonymous => return None,
        Reporter::Public {
            organisation,
            role,
            name,
            identity_withheld_from_parties,
        } => pb::ReporterIdentity {
            name: name.as_str().to_owned(),
            organisation: organisation.as_str().to_owned(),
            role: role.as_str().to_owned(),
            identity_withheld_from_parties: *identity_withheld_from_parties,
            ..Default::default()
        },
        Reporter::PrivateNamed {
            name,
            relation,
            identity_withheld_from_parties,
        } => pb::ReporterIdentity {
            name: name.as_str().to_owned(),
            relation: match relation {
                R::TheChild => "THE_CHILD",
                R::Parent => "PARENT",
                R::OtherFamily => "OTHER_FAMILY",
                R::OtherPrivatePerson => "OTHER_PRIVATE_PERSON",
            }
            .to_owned(),
            identity_withheld_from_parties: *identity_withheld_from_parties,
            ..Default::default()
        },
    };
    if let Some(contact) = report
        .details
        .as_ref()
        .and_then(|details| details.reporter_contact.as_ref())
    {
        identity.phone = contact.phone.clone().unwrap_or_default();
        identity.email = contact.email.clone().unwrap_or_default();
        if let Some(address) = &contact.address {
            identity.address_lines = address.lines.clone();
            identity.postcode = address.postcode.clone().unwrap_or_default();
            identity.place = address.place.clone().unwrap_or_default();
        }
    }
    Some(identity)
}
