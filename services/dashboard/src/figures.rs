//! The statistics table as the statistics page, the quarterly report and its CSV show it: one
//! list of columns, one reading of the period and the counting, so the three cannot disagree
//! about what a column holds or how its total is made.

use std::collections::BTreeMap;

use maud::{Markup, html};
use projections::statistics::{Counting, Period, StatisticsRow};

use crate::Error;

/// How a column's figures make the total row.
#[derive(Clone, Copy)]
pub(crate) enum Total {
    Sum,
    /// The longest delay is the longest of any municipality's, not a sum.
    Max,
}

/// One column of the table: its Norwegian header, its CSV name and its figure.
pub(crate) struct Column {
    pub(crate) header: &'static str,
    pub(crate) csv: &'static str,
    pub(crate) value: fn(&StatisticsRow) -> i64,
    pub(crate) total: Total,
}

/// DOMAIN.md's statistics per municipality, in the control committee table's order.
pub(crate) const COLUMNS: [Column; 12] = [
    Column {
        header: "Meldinger",
        csv: "meldinger",
        value: |row| row.reports_received,
        total: Total::Sum,
    },
    Column {
        header: "Henlagt (meldinger)",
        csv: "henlagt_meldinger",
        value: |row| row.reports_dismissed,
        total: Total::Sum,
    },
    Column {
        header: "Tiltak allerede i gang (kode 3)",
        csv: "tiltak_allerede_i_gang",
        value: |row| row.reports_measures_active,
        total: Total::Sum,
    },
    Column {
        header: "Gjelder pågående undersøkelse (kode 4)",
        csv: "pagaende_undersokelse",
        value: |row| row.reports_ongoing_investigation,
        total: Total::Sum,
    },
    Column {
        header: "Fristbrudd (meldinger)",
        csv: "fristbrudd_meldinger",
        value: |row| row.screening_breaches,
        total: Total::Sum,
    },
    Column {
        header: "Undersøkelser",
        csv: "undersokelser",
        value: |row| row.investigations_concluded,
        total: Total::Sum,
    },
    Column {
        header: "Henlagt (undersøkelser)",
        csv: "henlagt_undersokelser",
        value: |row| row.investigations_dismissed,
        total: Total::Sum,
    },
    Column {
        header: "Fristbrudd (undersøkelser)",
        csv: "fristbrudd_undersokelser",
        value: |row| row.investigation_breaches,
        total: Total::Sum,
    },
    Column {
        header: "Brev sendt",
        csv: "brev_sendt",
        value: |row| row.letters_sent,
        total: Total::Sum,
    },
    Column {
        header: "Brev for sent",
        csv: "brev_for_sent",
        value: |row| row.letters_sent_late,
        total: Total::Sum,
    },
    Column {
        header: "Registrert for sent (steg)",
        csv: "registrert_for_sent",
        value: |row| row.steps_recorded_late,
        total: Total::Sum,
    },
    Column {
        header: "Lengste forsinkelse (dager)",
        csv: "lengste_forsinkelse_dager",
        value: |row| row.days_late_max,
        total: Total::Max,
    },
];

/// The total row: each column summed, or its largest value.
pub(crate) fn totals(rows: &[StatisticsRow]) -> Vec<i64> {
    COLUMNS
        .iter()
        .map(|column| {
            let values = rows.iter().map(column.value);
            match column.total {
                Total::Sum => values.sum(),
                Total::Max => values.max().unwrap_or(0),
            }
        })
        .collect()
}

/// The period a form asks for: `kind` quarter (the default), half or year; `number` the
/// quarter or half, `default_number` when empty. Returns the period, its kind and its words.
pub(crate) fn period(
    kind: Option<&str>,
    year: i32,
    number: Option<u32>,
    default_number: impl Fn(&str) -> u32,
) -> Result<(Period, &'static str, String), Error> {
    if !(1993..=2100).contains(&year) {
        return Err(Error::BadParameter {
            field: "year",
            reason: "må være mellom 1993 og 2100".into(),
        });
    }
    let (period, kind, label) = match kind.map(str::trim).unwrap_or_default() {
        "" | "quarter" => {
            let quarter = number.unwrap_or_else(|| default_number("quarter"));
            (
                Period::Quarter { year, quarter },
                "quarter",
                format!("{quarter}. kvartal {year}"),
            )
        }
        "half" => {
            let half = number.unwrap_or_else(|| default_number("half"));
            (
                Period::HalfYear { year, half },
                "half",
                format!("{half}. halvår {year}"),
            )
        }
        "year" => (Period::Year { year }, "year", format!("året {year}")),
        _ => {
            return Err(Error::BadParameter {
                field: "period",
                reason: "må være kvartal, halvår eller år".into(),
            });
        }
    };
    match period.days() {
        Some((first, after)) => {
            let last = after.pred_opt().unwrap_or(after);
            let label = format!(
                "{label} ({}–{})",
                first.format("%d.%m.%Y"),
                last.format("%d.%m.%Y")
            );
            Ok((period, kind, label))
        }
        None => Err(Error::BadParameter {
            field: "number",
            reason: "et kvartal er 1 til 4, et halvår 1 eller 2".into(),
        }),
    }
}

/// The counting a form asks for (`kontrollutvalg`, the default, or `nasjonal`) and the
/// sentence that says how it counts.
pub(crate) fn counting(asked: Option<&str>) -> Result<(Counting, &'static str), Error> {
    match asked.map(str::trim).unwrap_or_default() {
        "" | "kontrollutvalg" => Ok((
            Counting::ControlCommittee,
            "Telling som kontrollutvalgets tabell: per melding, etter mottaksdato; fristbrudd \
             i undersøkelser etter lovens måneder.",
        )),
        "nasjonal" => Ok((
            Counting::National,
            "Nasjonal telling (SSB og Barnevernsregisteret): per barn, etter gjennomgangsdato; \
             meldinger = henlagt + til undersøkelse, kode 3 og 4 telt for seg; fristbrudd i \
             undersøkelser etter mottatt + 7 + 90 (+ 7 + 180) dager.",
        )),
        _ => Err(Error::BadParameter {
            field: "counting",
            reason: "må være kontrollutvalg eller nasjonal".into(),
        }),
    }
}

/// The table, a row per municipality and the total row last.
pub(crate) fn table(rows: &[StatisticsRow], names: &BTreeMap<String, String>) -> Markup {
    html! {
        table.figures {
            thead {
                tr {
                    th { "Kommune" }
                    @for column in &COLUMNS { th { (column.header) } }
                }
            }
            tbody {
                @if rows.is_empty() {
                    tr { td colspan=(COLUMNS.len() + 1) { "Ingen tall for perioden." } }
                }
                @for row in rows {
                    tr {
                        td { (crate::pages::municipality_label(names, &row.municipality)) }
                        @for column in &COLUMNS { td.num { ((column.value)(row)) } }
                    }
                }
            }
            @if rows.len() > 1 {
                tfoot {
                    tr.total {
                        th { "Sum" }
                        @for total in totals(rows) { td.num { (total) } }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(municipality: &str, received: i64, days_late_max: i64) -> StatisticsRow {
        StatisticsRow {
            municipality: municipality.into(),
            reports_received: received,
            days_late_max,
            ..StatisticsRow::default()
        }
    }

    #[test]
    fn totals_sum_every_column_but_the_longest_delay() {
        let rows = [row("5035", 7, 3), row("5036", 5, 9)];
        let totals = totals(&rows);
        assert_eq!(totals[0], 12);
        assert_eq!(totals[11], 9);
        assert_eq!(totals[1..11], [0; 10]);
    }

    #[test]
    fn a_period_is_named_with_its_days_and_a_bad_one_by_its_field() {
        let (_, kind, label) = period(Some(""), 2026, None, |_| 3).unwrap();
        assert_eq!(
            (kind, label.as_str()),
            ("quarter", "3. kvartal 2026 (01.07.2026–30.09.2026)")
        );
        let (_, _, label) = period(Some("year"), 2025, None, |_| 1).unwrap();
        assert_eq!(label, "året 2025 (01.01.2025–31.12.2025)");
        fn field<T>(result: Result<T, Error>) -> &'static str {
            match result {
                Err(Error::BadParameter { field, .. }) => field,
                _ => "accepted",
            }
        }
        assert_eq!(
            field(period(Some("quarter"), 2026, Some(5), |_| 1)),
            "number"
        );
        assert_eq!(field(period(Some("week"), 2026, None, |_| 1)), "period");
        assert_eq!(field(period(None, 1900, None, |_| 1)), "year");
        assert_eq!(field(counting(Some("kommunal"))), "counting");
    }
}
