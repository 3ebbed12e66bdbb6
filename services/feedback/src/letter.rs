//! Letter text in Norwegian bokmål, from the few facts a letter may disclose.
//!
//! Minimal disclosure is by construction: the renderer receives only what DOMAIN.md lets a
//! letter say (the date received, a reference, the child as the reporter already knows them,
//! whether an investigation was opened or how it ended), never the report or the case.
//! Whatever is not passed in cannot leak.

use chrono::NaiveDate;

/// What the letter is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Subject {
    /// The report was received.
    Receipt,
    /// Whether an investigation was opened, per child (the child's label, opened).
    InvestigationOutcome(Vec<(String, bool)>),
    /// How an investigation ended: the child's label, dismissed or followed up.
    Conclusion { child: String, dismissed: bool },
}

/// Everything a letter may say.
#[derive(Clone, Debug)]
pub(crate) struct Facts<'a> {
    pub(crate) subject: Subject,
    /// The municipality whose service writes.
    pub(crate) municipality: &'a str,
    /// A public reporter's organisation; none for private reporters.
    pub(crate) organisation: Option<&'a str>,
    pub(crate) received_on: NaiveDate,
    pub(crate) reference: String,
    pub(crate) dated: NaiveDate,
    /// The statute, e.g. "barnevernsloven § 13-4".
    pub(crate) legal_reference: String,
}

fn norwegian_date(date: NaiveDate) -> String {
    date.format("%d.%m.%Y").to_string()
}

/// The letter's text.
pub(crate) fn render(facts: &Facts<'_>) -> String {
    let service = format!("Barneverntjenesten i {}", facts.municipality);
    let mut text = String::new();
    text.push_str(&format!("{service}\n"));
    text.push_str(&format!("Dato: {}\n", norwegian_date(facts.dated)));
    text.push_str(&format!("Vår referanse: {}\n", facts.reference));
    if let Some(organisation) = facts.organisation {
        text.push_str(&format!("Til: {organisation}\n"));
    }
    text.push('\n');
    let received = norwegian_date(facts.received_on);
    match &facts.subject {
        Subject::Receipt => {
            text.push_str("Bekreftelse på mottatt bekymringsmelding\n\n");
            text.push_str(&format!(
                "Vi bekrefter at barneverntjenesten mottok bekymringsmeldingen deres {received}.\n\
                 Takk for at dere meldte fra.\n"
            ));
        }
        Subject::InvestigationOutcome(children) => {
            text.push_str("Tilbakemelding om bekymringsmeldingen\n\n");
            text.push_str(&format!(
                "Barneverntjenesten har gjennomgått bekymringsmeldingen vi mottok {received}.\n"
            ));
            let outcome = |opened: bool| {
                if opened {
                    "barneverntjenesten har åpnet undersøkelse"
                } else {
                    "barneverntjenesten har ikke åpnet undersøkelse"
                }
            };
            match children.as_slice() {
                [(_, opened)] => text.push_str(&format!("Resultat: {}.\n", outcome(*opened))),
                children => {
                    for (child, opened) in children {
                        text.push_str(&format!("For {child}: {}.\n", outcome(*opened)));
                    }
                }
            }
        }
        Subject::Conclusion { child, dismissed } => {
            text.push_str("Tilbakemelding om avsluttet undersøkelse\n\n");
            text.push_str(&format!(
                "Undersøkelsen som ble åpnet etter bekymringsmeldingen vi mottok {received}, \
                 om {child}, er avsluttet.\n"
            ));
            text.push_str(if *dismissed {
                "Saken er henlagt.\n"
            } else {
                "Barneverntjenesten følger saken videre opp.\n"
            });
        }
    }
    text.push_str(&format!(
        "\nTilbakemeldingen gis etter {}. Barneverntjenesten har taushetsplikt og kan ikke gi \
         andre opplysninger om saken.\n\nMed hilsen\n{service}\n",
        facts.legal_reference
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(subject: Subject) -> Facts<'static> {
        Facts {
            subject,
            municipality: "Tromsø",
            organisation: Some("Nordby skole"),
            received_on: NaiveDate::from_ymd_opt(2024, 3, 4).unwrap(),
            reference: "0b7c".into(),
            dated: NaiveDate::from_ymd_opt(2024, 3, 8).unwrap(),
            legal_reference: "barnevernsloven § 13-4".into(),
        }
    }

    #[test]
    fn a_receipt_names_the_date_received_and_the_law() {
        let text = render(&facts(Subject::Receipt));
        assert!(
            text.contains("mottok bekymringsmeldingen deres 04.03.2024"),
            "{text}"
        );
        assert!(text.contains("Dato: 08.03.2024"), "{text}");
        assert!(text.contains("Til: Nordby skole"), "{text}");
        assert!(text.contains("barnevernsloven § 13-4"), "{text}");
    }

    #[test]
    fn an_outcome_letter_says_per_child_only_when_the_children_differ() {
        let one = render(&facts(Subject::InvestigationOutcome(vec![(
            "barnet født 01.02.2015".into(),
            true,
        )])));
        assert!(
            one.contains("Resultat: barneverntjenesten har åpnet undersøkelse."),
            "{one}"
        );
        assert!(!one.contains("født"), "one child needs no label: {one}");
        let two = render(&facts(Subject::InvestigationOutcome(vec![
            ("Anna".into(), true),
            ("Ola".into(), false),
        ])));
        assert!(
            two.contains("For Anna: barneverntjenesten har åpnet undersøkelse."),
            "{two}"
        );
        assert!(
            two.contains("For Ola: barneverntjenesten har ikke åpnet undersøkelse."),
            "{two}"
        );
    }

    #[test]
    fn a_conclusion_letter_says_only_dismissed_or_followed_up() {
        let dismissed = render(&facts(Subject::Conclusion {
            child: "Anna".into(),
            dismissed: true,
        }));
        assert!(dismissed.contains("Saken er henlagt."), "{dismissed}");
        let followed = render(&facts(Subject::Conclusion {
            child: "Anna".into(),
            dismissed: false,
        }));
        assert!(followed.contains("følger saken videre opp"), "{followed}");
        assert!(!followed.contains("henlagt"), "{followed}");
    }
}
