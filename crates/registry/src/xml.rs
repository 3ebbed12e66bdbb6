//! The XML of `Barnevern_v4.xsd`: one `Barnevern` document per case (the schema allows one
//! `Sak` per document), elements in the schema's sequence order.

use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use uuid::Uuid;

use crate::codes::Lovhjemmel;
use crate::model::Sak;

/// Who sends, and which export this is.
#[derive(Clone, Debug)]
pub struct Header {
    pub export_id: Uuid,
    /// The previous export of this case, so the registry sees a gap.
    pub previous_export_id: Option<Uuid>,
    pub extracted_at: DateTime<Utc>,
    /// The municipality's organisation number (9 digits).
    pub organisation_number: String,
    pub municipality_number: String,
    pub municipality_name: String,
    /// Bydel, for Oslo, Bergen, Trondheim and Stavanger.
    pub district: Option<(String, String)>,
}

fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
    out
}

fn date(value: NaiveDate) -> String {
    value.format("%Y-%m-%d").to_string()
}

/// ` Name="value"` pairs.
fn attributes(pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .map(|(name, value)| format!(" {name}=\"{}\"", escape(value)))
        .collect()
}

fn law(out: &mut String, element: &str, law: &Lovhjemmel) {
    let _ = write!(
        out,
        "      <{element}><Lov>{}</Lov><Kapittel>{}</Kapittel><Paragraf>{}</Paragraf>",
        law.act, law.chapter, law.paragraph
    );
    if let Some(ledd) = law.ledd {
        let _ = write!(out, "<Ledd>{ledd}</Ledd>");
    }
    let _ = writeln!(out, "</{element}>");
}

/// The document for one case.
pub fn document(header: &Header, sak: &Sak) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let mut root = vec![
        ("Id", header.export_id.to_string()),
        (
            "DatoUttrekk",
            header
                .extracted_at
                .to_rfc3339_opts(SecondsFormat::Secs, true),
        ),
    ];
    if let Some(previous) = header.previous_export_id {
        root.push(("ForrigeId", previous.to_string()));
    }
    let _ = writeln!(out, "<Barnevern{}>", attributes(&root));
    let _ = writeln!(
        out,
        "  <Fagsystem{}/>",
        attributes(&[
            ("Leverandor", "Vern".to_owned()),
            ("Navn", "Vern".to_owned()),
            ("Versjon", env!("CARGO_PKG_VERSION").to_owned()),
        ])
    );
    let mut giver = vec![
        ("Organisasjonsnummer", header.organisation_number.clone()),
        ("Kommunenummer", header.municipality_number.clone()),
        ("Kommunenavn", header.municipality_name.clone()),
    ];
    if let Some((number, name)) = &header.district {
        giver.push(("Bydelsnummer", number.clone()));
        giver.push(("Bydelsnavn", name.clone()));
    }
    let _ = writeln!(out, "  <Avgiver{}/>", attributes(&giver));
    sak_element(&mut out, sak);
    out.push_str("</Barnevern>\n");
    out
}

fn sak_element(out: &mut String, sak: &Sak) {
    let mut pairs = vec![("Id", sak.id.to_string()), ("StartDato", date(sak.start))];
    if let Some(end) = sak.end {
        pairs.push(("SluttDato", date(end)));
    }
    pairs.push(("Journalnummer", sak.journal_number.clone()));
    if sak.end.is_some() {
        pairs.push(("Avsluttet", "true".to_owned()));
    }
    let _ = writeln!(out, "  <Sak{}>", attributes(&pairs));
    if let Some(person) = &sak.personalia {
        let _ = writeln!(
            out,
            "    <Personalia{}/>",
            attributes(&[
                ("Id", person.id.to_string()),
                ("StartDato", date(person.start)),
                ("Fodselsnummer", person.number.clone()),
                ("Fodseldato", date(person.birth_date)),
                ("Kjonn", person.sex.to_owned()),
            ])
        );
    }
    for melding in &sak.meldinger {
        let pairs = [
            ("Id", melding.id.to_string()),
            ("StartDato", date(melding.start)),
        ];
        let _ = writeln!(out, "    <Melding{}>", attributes(&pairs));
        if let Some(code) = &melding.reporter_code {
            let _ = writeln!(out, "      <Melder Kode=\"{}\"/>", escape(code));
        }
        for code in &melding.case_content {
            let _ = writeln!(out, "      <Saksinnhold Kode=\"{}\"/>", escape(code));
        }
        if let Some((end, code)) = melding.conclusion {
            let _ = writeln!(
                out,
                "      <Konklusjon SluttDato=\"{}\" Kode=\"{code}\"/>",
                date(end)
            );
        }
        out.push_str("    </Melding>\n");
    }
    for undersokelse in &sak.undersokelser {
        let pairs = [
            ("Id", undersokelse.id.to_string()),
            ("StartDato", date(undersokelse.start)),
        ];
        let _ = writeln!(out, "    <Undersokelse{}>", attributes(&pairs));
        for code in &undersokelse.grounds {
            let _ = writeln!(out, "      <Vedtaksgrunnlag Kode=\"{}\"/>", escape(code));
        }
        if let Some(requested) = undersokelse.extension_requested {
            // Vern records an extension when it is decided: granted.
            let _ = writeln!(
                out,
                "      <UtvidetFrist StartDato=\"{}\" Innvilget=\"1\"/>",
                date(requested)
            );
        }
        if let Some(conclusion) = &undersokelse.conclusion {
            let mut pairs = vec![
                ("SluttDato", date(conclusion.date)),
                ("Kode", conclusion.code.to_owned()),
            ];
            if let Some(precision) = &conclusion.precision {
                pairs.push(("Presisering", precision.clone()));
            }
            let _ = writeln!(out, "      <Konklusjon{}/>", attributes(&pairs));
        }
        out.push_str("    </Undersokelse>\n");
    }
    for plan in &sak.planer {
        let pairs = [
            ("Id", plan.id.to_string()),
            ("StartDato", date(plan.start)),
            ("Plantype", plan.plan_type.to_owned()),
        ];
        let _ = writeln!(out, "    <Plan{}>", attributes(&pairs));
        for evaluated in &plan.evaluations {
            let _ = writeln!(
                out,
                "      <Evaluering UtfortDato=\"{}\"/>",
                date(*evaluated)
            );
        }
        if let Some(end) = plan.end {
            let _ = writeln!(out, "      <Konklusjon SluttDato=\"{}\"/>", date(end));
        }
        out.push_str("    </Plan>\n");
    }
    for tiltak in &sak.tiltak {
        let pairs = [
            ("Id", tiltak.id.to_string()),
            ("StartDato", date(tiltak.start)),
        ];
        let _ = writeln!(out, "    <Tiltak{}>", attributes(&pairs));
        law(out, "Lovhjemmel", &tiltak.law);
        let mut category = vec![("Kode", tiltak.category.to_owned())];
        if let Some(precision) = &tiltak.precision {
            category.push(("Presisering", precision.clone()));
        }
        let _ = writeln!(out, "      <Kategori{}/>", attributes(&category));
        if let Some(visits) = &tiltak.visits {
            foster_visits(out, visits);
        }
        if let Some(end) = tiltak.end {
            let _ = writeln!(out, "      <Konklusjon SluttDato=\"{}\"/>", date(end));
        }
        out.push_str("    </Tiltak>\n");
    }
    // The schema wants a status: an emergency decision has none until the board's chair rules
    // on it, a petition is sent or it lapses (Kodelister, Vedtak/Status), and waits till then.
    for vedtak in sak.vedtak.iter().filter(|vedtak| !vedtak.status.is_empty()) {
        let pairs = [
            ("Id", vedtak.id.to_string()),
            ("StartDato", date(vedtak.start)),
        ];
        let _ = writeln!(out, "    <Vedtak{}>", attributes(&pairs));
        law(out, "Lovhjemmel", &vedtak.law);
        for (id, changed, code) in &vedtak.status {
            let _ = writeln!(
                out,
                "      <Status Id=\"{id}\" EndretDato=\"{}\" Kode=\"{code}\"/>",
                date(*changed)
            );
        }
        if let Some(end) = vedtak.end {
            let _ = writeln!(out, "      <Konklusjon SluttDato=\"{}\"/>", date(end));
        }
        out.push_str("    </Vedtak>\n");
    }
    for sent in &sak.oversendelser {
        let pairs = [("Id", sent.id.to_string()), ("StartDato", date(sent.start))];
        let _ = writeln!(out, "    <OversendelseFylkesnemnd{}>", attributes(&pairs));
        law(out, "Lovhjemmel", &sent.law);
        out.push_str("    </OversendelseFylkesnemnd>\n");
    }
    for relation in &sak.relasjoner {
        let _ = writeln!(
            out,
            "    <Relasjon{}/>",
            attributes(&[
                ("Id", relation.id.to_string()),
                ("FraId", relation.from.0.to_string()),
                ("FraType", relation.from.1.to_owned()),
                ("TilId", relation.to.0.to_string()),
                ("TilType", relation.to.1.to_owned()),
            ])
        );
    }
    out.push_str("  </Sak>\n");
}

/// A foster home's Tilsyn and Oppfolging, in the schema's order (TiltakType: Tilsyn before
/// Oppfolging; in each, who is responsible, the rates, then the visits made).
fn foster_visits(out: &mut String, visits: &crate::model::FosterVisits) {
    let (id, start, municipality) = &visits.supervision_responsible;
    out.push_str("      <Tilsyn>\n");
    let _ = writeln!(
        out,
        "        <Ansvarlig Id=\"{id}\" StartDato=\"{}\" Kommunenummer=\"{}\"/>",
        date(*start),
        escape(municipality)
    );
    rates_and_visits(out, &visits.supervision_rates, &visits.supervisions);
    out.push_str("      </Tilsyn>\n      <Oppfolging>\n");
    rates_and_visits(out, &visits.follow_up_rates, &visits.follow_ups);
    out.push_str("      </Oppfolging>\n");
}

fn rates_and_visits(
    out: &mut String,
    rates: &[(uuid::Uuid, chrono::NaiveDate, &'static str)],
    done: &[(uuid::Uuid, chrono::NaiveDate)],
) {
    for (id, start, code) in rates {
        let _ = writeln!(
            out,
            "        <Hyppighet Id=\"{id}\" StartDato=\"{}\" Kode=\"{code}\"/>",
            date(*start)
        );
    }
    for (id, on) in done {
        let _ = writeln!(
            out,
            "        <Utfort Id=\"{id}\" UtfortDato=\"{}\"/>",
            date(*on)
        );
    }
}
