//! The quarterly report a service hands its control committee (kontrollutvalget): the
//! statistics table for one quarter with its totals, the period, the counting and the moment
//! it was taken, as a page that prints to PDF as it is and as a CSV file. Both are drawn from
//! one reading of the figures ([`Report::read`]), so the download is the page.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Datelike as _, Utc};
use domain::calendar::oslo_date;
use handling::policy::Page;
use maud::{Markup, html};
use projections::statistics::StatisticsRow;
use serde::Deserialize;

use crate::figures::{self, COLUMNS};
use crate::pages::{
    filtered_page, municipality_label, municipality_names, municipality_select, render, scope,
};
use crate::{Dashboard, Error, Session, html::url_encode, secure_headers};

#[derive(Clone, Deserialize, Default)]
pub(crate) struct ReportQuery {
    municipality: Option<String>,
    year: Option<String>,
    quarter: Option<String>,
    counting: Option<String>,
}

/// One reading of the figures for a quarter.
struct Report {
    year: i32,
    quarter: u32,
    /// "3. kvartal 2026 (01.07.2026–30.09.2026)".
    label: String,
    counting: &'static str,
    counting_sentence: &'static str,
    taken: DateTime<Utc>,
    rows: Vec<StatisticsRow>,
    /// The query, for the links between the page and its download.
    query: String,
}

impl Report {
    /// The quarter asked for; by default the last whole quarter before today.
    async fn read(
        dashboard: &Dashboard,
        session: &Session,
        query: &ReportQuery,
    ) -> Result<Self, Error> {
        let municipalities = scope(session, query.municipality.as_deref())?;
        let taken = Utc::now();
        let today = oslo_date(taken);
        let current = (today.month() - 1) / 3 + 1;
        let (default_year, default_quarter) = if current == 1 {
            (today.year() - 1, 4)
        } else {
            (today.year(), current - 1)
        };
        let year = crate::pages::whole_number::<i32>("year", query.year.as_deref())?
            .unwrap_or(default_year);
        let quarter = crate::pages::whole_number::<u32>("quarter", query.quarter.as_deref())?
            .unwrap_or(default_quarter);
        let (period, _, label) = figures::period(Some("quarter"), year, Some(quarter), |_| 1)
            .map_err(|error| match error {
                Error::BadParameter {
                    field: "number",
                    reason,
                } => Error::BadParameter {
                    field: "quarter",
                    reason,
                },
                other => other,
            })?;
        let (counting, counting_sentence) = figures::counting(query.counting.as_deref())?;
        let mut rows = projections::statistics::statistics(
            dashboard.store.pool(),
            &municipalities,
            period,
            taken,
            projections::Knowledge::Then,
            counting,
        )
        .await?;
        rows.sort_by(|a, b| a.municipality.cmp(&b.municipality));
        let counting = match counting {
            projections::statistics::Counting::ControlCommittee => "kontrollutvalg",
            projections::statistics::Counting::National => "nasjonal",
        };
        let municipality = query.municipality.as_deref().unwrap_or("").trim();
        let query = format!(
            "municipality={}&year={year}&quarter={quarter}&counting={counting}",
            url_encode(municipality)
        );
        Ok(Self {
            year,
            quarter,
            label,
            counting,
            counting_sentence,
            taken,
            rows,
            query,
        })
    }

    fn taken(&self) -> String {
        self.taken
            .with_timezone(&chrono_tz::Europe::Oslo)
            .format("%d.%m.%Y kl. %H:%M")
            .to_string()
    }
}

/// Kvartalsrapport: the page.
pub(crate) async fn page(
    State(dashboard): State<Dashboard>,
    headers: HeaderMap,
    Query(query): Query<ReportQuery>,
) -> Result<Response, Error> {
    filtered_page(
        &dashboard,
        &headers,
        Page::Statistics,
        "Kvartalsrapport",
        &query,
        report_form,
        report_page,
    )
    .await
}

fn report_form(
    session: &Session,
    query: &ReportQuery,
    names: &BTreeMap<String, String>,
    invalid: &str,
) -> Markup {
    let national = query.counting.as_deref() == Some("nasjonal");
    let quarter = query.quarter.as_deref().unwrap_or("");
    html! {
        form.filters.no-print method="get" action="/report" {
            (municipality_select(session, query.municipality.as_deref().unwrap_or(""), names, invalid))
            label.invalid[invalid == "year"] {
                "År" input name="year" value=(query.year.as_deref().unwrap_or("")) size="5";
            }
            label.invalid[invalid == "quarter"] {
                "Kvartal"
                select name="quarter" {
                    @for number in ["1", "2", "3", "4"] {
                        option value=(number) selected[number == quarter] { (number) ". kvartal" }
                    }
                }
            }
            label.invalid[invalid == "counting"] {
                "Telling"
                select name="counting" {
                    option value="kontrollutvalg" selected[!national] { "Kontrollutvalg" }
                    option value="nasjonal" selected[national] { "Nasjonal (SSB)" }
                }
            }
            button type="submit" { "Vis" }
        }
    }
}

async fn report_page(
    dashboard: &Dashboard,
    session: &Session,
    query: &ReportQuery,
    names: &BTreeMap<String, String>,
) -> Result<Response, Error> {
    let report = Report::read(dashboard, session, query).await?;
    let shown = ReportQuery {
        year: Some(report.year.to_string()),
        quarter: Some(report.quarter.to_string()),
        counting: Some(report.counting.to_owned()),
        ..query.clone()
    };
    let body = html! {
        (report_form(session, &shown, names, ""))
        h1 { "Kvartalsrapport til kontrollutvalget" }
        dl.report {
            dt { "Periode" } dd { (report.label) }
            dt { "Kommuner" }
            dd {
                @if report.rows.is_empty() { "ingen med tall i perioden" }
                @for (index, row) in report.rows.iter().enumerate() {
                    @if index > 0 { ", " }
                    (municipality_label(names, &row.municipality))
                }
            }
            dt { "Telling" } dd { (report.counting_sentence) }
            dt { "Tatt ut" } dd { (report.taken()) ", med det som var registrert da" }
            dt { "Tatt ut av" } dd { (session.principal.subject) }
        }
        (figures::table(&report.rows, names))
        p.no-print {
            a.button href={ "/report.csv?" (report.query) } download { "Last ned som CSV" }
            " · For PDF: skriv ut siden fra nettleseren og velg «Lagre som PDF»; meny og skjema "
            "kommer ikke med på utskriften."
        }
    };
    Ok(render("Kvartalsrapport", session, body))
}

/// Kvartalsrapport as CSV: semicolon-separated UTF-8 with a byte order mark, as a spreadsheet
/// set to Norwegian opens it; a row per municipality, then "Sum"; every row says its period,
/// counting and moment, so a row copied out still says what it counts.
pub(crate) async fn csv(
    State(dashboard): State<Dashboard>,
    headers: HeaderMap,
    Query(query): Query<ReportQuery>,
) -> Result<Response, Error> {
    let session = dashboard.session_for(&headers, Page::Statistics).await?;
    let report = Report::read(&dashboard, &session, &query).await?;
    let names = municipality_names();
    let body = write_csv(&report, &names).map_err(|error| Error::BadParameter {
        field: "csv",
        reason: error.to_string(),
    })?;
    let filename = format!(
        "attachment; filename=\"kvartalsrapport-{}-K{}.csv\"",
        report.year, report.quarter
    );
    Ok((
        secure_headers(),
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&filename).unwrap_or(HeaderValue::from_static("attachment")),
            ),
        ],
        body,
    )
        .into_response())
}

fn write_csv(report: &Report, names: &BTreeMap<String, String>) -> Result<Vec<u8>, csv::Error> {
    let mut out = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    let mut header = vec!["periode", "telling", "tatt_ut", "kommune", "kommunenavn"];
    header.extend(COLUMNS.iter().map(|column| column.csv));
    out.write_record(&header)?;
    let taken = report
        .taken
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let period = format!("{}-K{}", report.year, report.quarter);
    let fixed = [period.as_str(), report.counting, taken.as_str()];
    for row in &report.rows {
        let name = names.get(&row.municipality).map_or("", String::as_str);
        let figures = COLUMNS.iter().map(|column| (column.value)(row).to_string());
        let mut record: Vec<String> = fixed.iter().map(|text| (*text).to_owned()).collect();
        record.extend([row.municipality.clone(), name.to_owned()]);
        record.extend(figures);
        out.write_record(&record)?;
    }
    let mut total: Vec<String> = fixed.iter().map(|text| (*text).to_owned()).collect();
    total.extend(["Sum".to_owned(), String::new()]);
    total.extend(figures::totals(&report.rows).iter().map(i64::to_string));
    out.write_record(&total)?;
    out.into_inner().map_err(|error| error.into_error().into())
}
