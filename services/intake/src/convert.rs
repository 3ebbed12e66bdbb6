//! Requests into domain commands. Every failure names the request field it is about, using
//! the proto's own paths (`children[1].national_identity_number`), and nothing is written.

use api::common::v1 as common_pb;
use api::intake::v1 as pb;
use chrono::{DateTime, Utc};
use domain::case::CaseId;
use domain::registry::ReporterCode;
use domain::report::{
    CaseAssignment, ChildScreening, DismissalGround, ReceiveReport, ReportId, ScreenReport,
    ScreeningOutcome,
};
use domain::values::{
    ChildIdentity, ConcernCategory, PersonIdentity, PrivateReporterRelation, Reporter,
};
use handling::convert::{self as common, Fields};
use handling::{Error, Handler};
use uuid::Uuid;

/// The report to receive, once the report's id is known: it is fixed by the command id,
/// which is parsed beside this so that both name their bad fields in one answer.
pub(crate) fn receive_report(
    request: pb::SubmitReportRequest,
    handler: &Handler,
    now: DateTime<Utc>,
) -> Result<impl FnOnce(ReportId) -> ReceiveReport, Error> {
    let mut fields = Fields::default();
    let received_at = match &request.received_at {
        Some(timestamp) => fields.take(common::timestamp("received_at", timestamp)),
        None => Some(now),
    };
    // A child's age, and the municipality's number, are judged on the day the report was
    // received, which may be long ago.
    let today = domain::calendar::oslo_date(received_at.unwrap_or(now));
    let municipality = fields.take(common::municipality_on(
        "municipality",
        &request.municipality,
        handler.municipalities(),
        today,
    ));
    let reporter = fields.take(
        common::required("reporter", request.reporter.as_ref())
            .and_then(|value| reporter(value, handler)),
    );
    let children = if request.children.is_empty() {
        fields.fail("children", "must name at least one child");
        None
    } else {
        fields.take(common::every(
            "children",
            &request.children,
            |field, value| child(field, value, today),
        ))
    };
    let concerns = if request.concerns.is_empty() {
        fields.fail("concerns", "must name at least one concern");
        None
    } else {
        fields.take(common::every(
            "concerns",
            &request.concerns,
            |field, value| concern(field, *value),
        ))
    };
    let summary = fields.take(common::long_text("summary", &request.summary));
    let urgency = fields.take(common::urgency("urgency", request.urgency));
    let (municipality, received_at, reporter, children, concerns, summary, urgency) =
        fields.done(|| {
            Some((
                municipality?,
                received_at?,
                reporter?,
                children?,
                concerns?,
                summary?,
                urgency?,
            ))
        })?;
    Ok(move |report_id| ReceiveReport {
        report_id,
        received_at,
        municipality,
        reporter,
        children,
        concerns,
        summary,
        urgency,
        details: None,
    })
}

fn reporter(reporter: &pb::Reporter, _handler: &Handler) -> Result<Reporter, Error> {
    match reporter.kind.as_ref() {
        None => Err(Error::invalid(
            "reporter.kind",
            "is required: public, private_named or anonymous",
        )),
        Some(pb::reporter::Kind::Public(public)) => {
            let mut fields = Fields::default();
            let organisation = fields.take(common::short_text(
                "reporter.public.organisation",
                &public.organisation,
            ));
            let role = fields.take(common::short_text("reporter.public.role", &public.role));
            let name = fields.take(common::short_text("reporter.public.name", &public.name));
            fields.done(|| {
                Some(Reporter::Public {
                    organisation: organisation?,
                    role: role?,
                    name: name?,
                    identity_withheld_from_parties: public.identity_withheld_from_parties,
                })
            })
        }
        Some(pb::reporter::Kind::PrivateNamed(private)) => {
            let mut fields = Fields::default();
            let name = fields.take(common::short_text(
                "reporter.private_named.name",
                &private.name,
            ));
            let relation = fields.take(private_relation(
                "reporter.private_named.relation",
                private.relation,
            ));
            fields.done(|| {
                Some(Reporter::PrivateNamed {
                    name: name?,
                    relation: relation?,
                    identity_withheld_from_parties: private.identity_withheld_from_parties,
                })
            })
        }
        Some(pb::reporter::Kind::Anonymous(_)) => Ok(Reporter::PrivateAnonymous),
    }
}

fn private_relation(field: &str, value: i32) -> Result<PrivateReporterRelation, Error> {
    Ok(
        match common::enum_value::<pb::PrivateRelation>(field, value)? {
            pb::PrivateRelation::TheChild => PrivateReporterRelation::TheChild,
            pb::PrivateRelation::Parent => PrivateReporterRelation::Parent,
            pb::PrivateRelation::OtherFamily => PrivateReporterRelation::OtherFamily,
            pb::PrivateRelation::OtherPrivatePerson | pb::PrivateRelation::Unspecified => {
                PrivateReporterRelation::OtherPrivatePerson
            }
        },
    )
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
            name_and_birth_date(&field, named)?;
            Ok(ChildIdentity::parse_name_and_birth_date(
                &field,
                &named.name,
                &named.birth_date,
                today,
            )?)
        }
        Some(Identity::Unborn(unborn)) => {
            let field = format!("{field}.unborn");
            let mut fields = Fields::default();
            let mother = fields.take(
                common::required(&format!("{field}.mother"), unborn.mother.as_ref())
                    .and_then(|mother| person(&format!("{field}.mother"), mother, today)),
            );
            fields.take(require_date(
                &format!("{field}.expected_birth_date"),
                &unborn.expected_birth_date,
            ));
            let mother = fields.done(|| mother)?;
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
            name_and_birth_date(&field, named)?;
            Ok(PersonIdentity::parse_name_and_birth_date(
                &field,
                &named.name,
                &named.birth_date,
                today,
            )?)
        }
    }
}

/// The name and the birth date's presence and form, both named when both are bad; the
/// domain's parse then checks the date against today.
fn name_and_birth_date(field: &str, named: &common_pb::NameAndBirthDate) -> Result<(), Error> {
    let mut fields = Fields::default();
    fields.take(common::short_text(&format!("{field}.name"), &named.name));
    fields.take(require_date(
        &format!("{field}.birth_date"),
        &named.birth_date,
    ));
    fields.check()
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

/// New case ids are derived here from the command id and the child's place, so a retried
/// decision, and the same history imported twice, name the same cases.
pub(crate) fn screen_report(
    request: &pb::ScreenReportRequest,
    command_id: Uuid,
    handler: &Handler,
) -> Result<ScreenReport, Error> {
    let mut fields = Fields::default();
    // Codes are judged valid on the day of the screening, which may be dated back.
    let today = common::step_day(request.decided_at.as_ref(), handler.now());
    let children = if request.children.is_empty() {
        fields.fail("children", "must screen every child of the report");
        None
    } else {
        fields.take(common::every(
            "children",
            &request.children,
            |field, child| child_screening(field, child, command_id, today, handler),
        ))
    };
    let reporter_code = match request.reporter_code.trim() {
        "" => Some(None),
        code => fields
            .take(ReporterCode::parse("reporter_code", code, today).map_err(Error::from))
            .map(Some),
    };
    fields.done(|| {
        Some(ScreenReport {
            children: children?,
            reporter_code: reporter_code?,
        })
    })
}

fn child_screening(
    field: &str,
    child: &pb::ChildScreening,
    command_id: Uuid,
    today: chrono::NaiveDate,
    handler: &Handler,
) -> Result<ChildScreening, Error> {
    let mut fields = Fields::default();
    let case = if child.existing_case_id.trim().is_empty() {
        Some(CaseAssignment::NewCase(CaseId::new(
            domain::values::derived_id(&[
                b"vern/screened-case/",
                command_id.as_bytes(),
                &child.child_index.to_be_bytes(),
            ]),
        )))
    } else {
        fields
            .take(common::id(
                &format!("{field}.existing_case_id"),
                &child.existing_case_id,
            ))
            .map(|id| CaseAssignment::ExistingOpenCase(CaseId::new(id)))
    };
    let outcome = fields.take(screening_outcome(field, child, today, handler));
    let case_content = fields.take(common::case_content_codes(
        &format!("{field}.case_content"),
        &child.case_content,
        today,
    ));
    let urgency = fields.take(common::urgency(&format!("{field}.urgency"), child.urgency));
    fields.done(|| {
        Some(ChildScreening {
            case_content: case_content?,
            child_index: child.child_index as usize,
            case: case?,
            outcome: outcome?,
            emergency_action: child.emergency_action,
            urgency: urgency?,
        })
    })
}

fn screening_outcome(
    field: &str,
    child: &pb::ChildScreening,
    today: chrono::NaiveDate,
    handler: &Handler,
) -> Result<ScreeningOutcome, Error> {
    use pb::child_screening::Outcome;
    match child.outcome.as_ref() {
        None => Err(Error::invalid(
            format!("{field}.outcome"),
            "is required: dismissed, investigation_opened, dismissed_measures_active or concerns_ongoing_investigation",
        )),
        Some(Outcome::Dismissed(dismissal)) => {
            let mut fields = Fields::default();
            let ground = fields.take(dismissal_ground(field, dismissal, today, handler));
            let reasons = fields.take(common::long_text(
                &format!("{field}.dismissed.reasons"),
                &dismissal.reasons,
            ));
            fields.done(|| {
                Some(ScreeningOutcome::Dismissed {
                    ground: ground?,
                    reasons: reasons?,
                    obviously_unfounded: dismissal.obviously_unfounded,
                })
            })
        }
        Some(Outcome::InvestigationOpened(_)) => Ok(ScreeningOutcome::InvestigationOpened),
        Some(Outcome::DismissedMeasuresActive(dismissal)) => {
            Ok(ScreeningOutcome::DismissedMeasuresActive {
                reasons: common::long_text(
                    &format!("{field}.dismissed_measures_active.reasons"),
                    &dismissal.reasons,
                )?,
            })
        }
        Some(Outcome::ConcernsOngoingInvestigation(_)) => {
            Ok(ScreeningOutcome::ConcernsOngoingInvestigation)
        }
    }
}

fn dismissal_ground(
    field: &str,
    dismissal: &pb::Dismissal,
    today: chrono::NaiveDate,
    handler: &Handler,
) -> Result<DismissalGround, Error> {
    let ground_field = format!("{field}.dismissed.ground");
    Ok(
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
                    municipality: common::municipality_on(
                        &format!("{field}.dismissed.transferred_to_municipality"),
                        &dismissal.transferred_to_municipality,
                        handler.municipalities(),
                        today,
                    )?,
                }
            }
            pb::DismissalGround::Unspecified => {
                return Err(Error::invalid(ground_field, "is required"));
            }
        },
    )
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
