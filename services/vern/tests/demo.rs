//! `vern up --demo` as a newcomer meets it: the real binary seeds a synthetic service, the gRPC
//! API answers about it, and the operators' dashboard shows it in headless Chromium. The
//! screenshots are kept as test artefacts in `target/test-artefacts/dashboard/`.

use std::path::PathBuf;

use chrono::Datelike as _;
use testkit::browser::Browser;

mod shared;
use shared::{DataDir, Running, embedded_url, listening_on, log_field, views_caught_up};

// Multi-threaded: the clients' connections must go on running (and see the server's GOAWAY)
// while the test blocks on the process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_seeds_a_living_service_that_the_dashboard_shows_in_a_browser() {
    use api::feedback::v1 as feedback;
    use api::worklist::v1 as worklist;

    let data_dir = DataDir::new();
    let mut up = Running::start_with(&data_dir.0, &["--demo"]);
    let up_line = up.wait_for("vern is up");
    let address = listening_on(&up_line);
    let dashboard = log_field(&up_line, "dashboard");
    let seeded = up.wait_for("demo seeded");
    assert!(seeded.contains("failed=0"), "{seeded}");
    views_caught_up(&embedded_url(&data_dir.0)).await;

    // The demo's own service leader's token, as a newcomer would use it.
    let token = std::fs::read_to_string(data_dir.0.join("demo.token")).unwrap();
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{address}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let bearer: tonic::metadata::MetadataValue<_> =
        format!("Bearer {}", token.trim()).parse().unwrap();
    let authed = move |mut request: tonic::Request<()>| {
        request
            .metadata_mut()
            .insert("authorization", bearer.clone());
        Ok(request)
    };
    let mut views = worklist::worklist_service_client::WorklistServiceClient::with_interceptor(
        channel.clone(),
        authed.clone(),
    );
    let (channel_again, authed_again) = (channel.clone(), authed.clone());
    let mut letters =
        feedback::feedback_service_client::FeedbackServiceClient::with_interceptor(channel, authed);

    // Every municipality of the service has reports over the two years, and Stjørdal most.
    let this_year = chrono::Utc::now().year();
    let mut received = std::collections::BTreeMap::<String, i64>::new();
    for year in this_year - 2..=this_year {
        let statistics = views
            .get_statistics(worklist::GetStatisticsRequest {
                year,
                period: worklist::PeriodKind::Year as i32,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        for row in statistics.rows {
            *received.entry(row.municipality).or_default() += row.reports_received;
        }
    }
    let municipalities: Vec<&str> = received.keys().map(String::as_str).collect();
    assert_eq!(municipalities, ["5032", "5033", "5034", "5035", "5036"]);
    assert!(received.values().all(|&n| n > 0), "{received:?}");
    assert_eq!(
        received
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(m, _)| m.as_str()),
        Some("5035")
    );
    // Most letters go out on time, some late.
    let last_year = views
        .get_statistics(worklist::GetStatisticsRequest {
            year: this_year - 1,
            period: worklist::PeriodKind::Year as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let sent: i64 = last_year.rows.iter().map(|row| row.letters_sent).sum();
    let late: i64 = last_year.rows.iter().map(|row| row.letters_sent_late).sum();
    assert!(
        late > 0 && late * 5 < sent,
        "{late} of {sent} letters sent late"
    );
    // About 356 reports a year.
    let total: i64 = received.values().sum();
    assert!((600..=820).contains(&total), "{total} reports");

    // A working service: deadlines running, some breached, assigned to teams; letters owed,
    // some overdue.
    let review = views
        .list_cases_needing_review(worklist::ListCasesNeedingReviewRequest {
            all_running: true,
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        review.items.iter().any(|item| item.breached),
        "nothing breached"
    );
    assert!(
        review.items.iter().any(|item| !item.breached),
        "everything breached"
    );
    assert!(review.items.iter().all(|item| !item.team.is_empty()));
    let owed = letters
        .list_letters_owed(feedback::ListLettersOwedRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        owed.letters.iter().any(|letter| letter.overdue),
        "no letter overdue"
    );

    drop((views, letters));

    // The same service in the operators' dashboard, in a real browser.
    let newest_case = review
        .items
        .iter()
        .find(|item| !item.case_id.is_empty())
        .map(|item| item.case_id.clone())
        .expect("a case in the worklist");
    let operator = std::fs::read_to_string(data_dir.0.join("operator.token")).unwrap();
    let case_id = newest_case.clone();
    let seen = tokio::task::spawn_blocking(move || {
        in_the_browser(&dashboard, token.trim(), operator.trim(), &newest_case)
    })
    .await
    .unwrap();
    let report = seen.csv;

    // The quarterly report the leader downloaded is GetStatistics' table for that quarter:
    // each municipality's row and the total row.
    let mut views = worklist::worklist_service_client::WorklistServiceClient::with_interceptor(
        channel_again.clone(),
        authed_again.clone(),
    );
    let quarter = views
        .get_statistics(worklist::GetStatisticsRequest {
            year: this_year - 1,
            period: worklist::PeriodKind::Quarter as i32,
            number: 4,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut csv = csv::ReaderBuilder::new().delimiter(b';').from_reader(
        report
            .strip_prefix('\u{feff}')
            .expect("a byte order mark")
            .as_bytes(),
    );
    let header = csv.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).expect(name);
    let records: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    let figures =
        |record: &csv::StringRecord, name: &str| -> i64 { record[column(name)].parse().unwrap() };
    assert_eq!(
        records.len(),
        quarter.rows.len() + 1,
        "a row per municipality and the sum"
    );
    for (record, row) in records.iter().zip(&quarter.rows) {
        assert_eq!(&record[column("kommune")], row.municipality);
        assert_eq!(&record[column("periode")], format!("{}-K4", this_year - 1));
        assert_eq!(figures(record, "meldinger"), row.reports_received);
        assert_eq!(
            figures(record, "undersokelser"),
            row.investigations_concluded
        );
        assert_eq!(figures(record, "brev_for_sent"), row.letters_sent_late);
    }
    let sum = records.last().unwrap();
    assert_eq!(&sum[column("kommune")], "Sum");
    for (name, value) in [
        (
            "meldinger",
            quarter
                .rows
                .iter()
                .map(|row| row.reports_received)
                .sum::<i64>(),
        ),
        (
            "henlagt_meldinger",
            quarter.rows.iter().map(|row| row.reports_dismissed).sum(),
        ),
        (
            "fristbrudd_meldinger",
            quarter.rows.iter().map(|row| row.screening_breaches).sum(),
        ),
        (
            "undersokelser",
            quarter
                .rows
                .iter()
                .map(|row| row.investigations_concluded)
                .sum(),
        ),
        (
            "fristbrudd_undersokelser",
            quarter
                .rows
                .iter()
                .map(|row| row.investigation_breaches)
                .sum(),
        ),
        (
            "brev_sendt",
            quarter.rows.iter().map(|row| row.letters_sent).sum(),
        ),
        (
            "brev_for_sent",
            quarter.rows.iter().map(|row| row.letters_sent_late).sum(),
        ),
    ] {
        assert_eq!(figures(sum, name), value, "{name}");
    }
    assert!(
        figures(sum, "meldinger") > 0,
        "the demo's last quarter of last year has reports"
    );

    // The lists' totals are the whole filter's, as the API listed it before the browser came:
    // every running deadline and every letter owed, and how many are breached.
    assert!(review.next_page_token.is_empty(), "fewer than 1000 running");
    let breached = review.items.iter().filter(|item| item.breached).count();
    assert_eq!(seen.cases, (review.items.len(), breached));
    assert!(review.items.len() > 50, "more than the page shows");
    assert!(owed.next_page_token.is_empty(), "fewer than 1000 owed");
    let overdue = owed.letters.iter().filter(|letter| letter.overdue).count();
    assert_eq!(seen.letters, (owed.letters.len(), overdue));
    drop(views);
    // Each of the leader's two looks at the case's timeline is in the read audit, and so is
    // the look at its report.
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&embedded_url(&data_dir.0))
        .await
        .unwrap();
    let recorded: Vec<(String, String)> = sqlx::query_as(
        "select method, outcome from read_audit where case_id = $1::uuid \
         and method like 'dashboard /cases/%' and method not like '%/why'",
    )
    .bind(&case_id)
    .fetch_all(&pool)
    .await
    .unwrap();
    let look = (format!("dashboard /cases/{case_id}"), "read".to_owned());
    assert_eq!(recorded, [look.clone(), look]);
    let report_looks: i64 = sqlx::query_scalar(
        "select count(*) from read_audit where report_id is not null \
         and method like 'dashboard /reports/%' and outcome = 'read'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(report_looks >= 1, "the report page's look is recorded");
    // The leader's pages of the worklist and the letters are list reads: each case or report
    // a page showed is recorded with what the page was asked for.
    let listed: Vec<(String, i64)> = sqlx::query_as(
        "select method, count(*) from read_audit where subject = 'demo-leder' \
         and method in ('dashboard /cases', 'dashboard /letters') and outcome = 'read' \
         and listed like '%as_of%' and (case_id is not null or report_id is not null) \
         group by method order by method",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|(method, _)| method.as_str())
            .collect::<Vec<_>>(),
        ["dashboard /cases", "dashboard /letters"],
        "{listed:?}"
    );
    assert!(listed.iter().all(|(_, rows)| *rows > 1), "{listed:?}");
    // The operator's pages of case content, refused by role, are recorded as denials, as
    // the API records a read refused by role: without the case it named.
    let denied: Vec<(String, i64)> = sqlx::query_as(
        "select method, count(*) from read_audit where subject = 'operator' \
         and outcome = 'denied' and case_id is null and report_id is null \
         group by method order by method",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        denied,
        [
            ("dashboard /cases".to_owned(), 2),
            ("dashboard /letters".to_owned(), 1)
        ]
    );
    pool.close().await;

    // The demo's history carries the registry's codes: an export of Stjørdal writes its cases
    // with findings for a few (children reported without an identity number), not a wall.
    let out = data_dir.0.join("registry-5035");
    let export = std::process::Command::new(shared::VERN)
        .args(["registry", "export", "--municipality", "5035"])
        .args(["--organisation-number", "123456785", "--out"])
        .arg(&out)
        .arg("--data-dir")
        .arg(&data_dir.0)
        .output()
        .unwrap();
    assert!(export.status.success(), "{export:?}");
    let printed = String::from_utf8_lossy(&export.stdout);
    let written = std::fs::read_dir(&out).unwrap().count();
    let errors = printed
        .lines()
        .filter(|line| line.starts_with("ERROR"))
        .count();
    assert!(written > 100, "{written} documents");
    assert!(
        errors * 5 < written,
        "{errors} errors for {written} documents:\n{printed}"
    );

    let (status, log) = up.terminate();
    assert!(status.success(), "exit {status}:\n{}", log.join("\n"));

    // Started again with --demo, it leaves the data as it is.
    let mut again = Running::start_with(&data_dir.0, &["--demo"]);
    again.wait_for("demo not seeded: the database already holds events");
    let (status, log) = again.terminate();
    assert!(status.success(), "exit {status}:\n{}", log.join("\n"));
}

/// Where the screenshots go.
fn artefacts() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("test-artefacts/dashboard")
}

/// What the browser saw that the test checks against the API afterwards.
struct Seen {
    /// The quarterly report's CSV.
    csv: String,
    /// The worklist's totals, unfiltered: running and breached.
    cases: (usize, usize),
    /// The letters page's totals: owed and overdue.
    letters: (usize, usize),
}

/// The "Sum" row of the totals table on the current page: running and breached.
fn totals(browser: &Browser) -> (usize, usize) {
    let cells: Vec<usize> = browser
        .find_all("table.totals tfoot td")
        .iter()
        .map(|cell| cell.text().parse().unwrap())
        .collect();
    (cells[0], cells[1])
}

/// Every page, logged in with the leader's token: the content each must show, the menu, the
/// session cookie's protection, paging, the lists' totals, every form submitted by its own
/// button, the quarterly report, the CSRF check and logging out; then the operator's.
fn in_the_browser(dashboard: &str, token: &str, operator: &str, case_id: &str) -> Seen {
    let shots = artefacts();
    let browser = Browser::start();

    // Not logged in: every page leads to the login form.
    browser.goto(&format!("{dashboard}/cases"));
    browser.wait_for_text("Logg inn");
    assert!(
        browser.current_url().ends_with("/login"),
        "{}",
        browser.current_url()
    );
    let login = browser.source();
    assert!(
        login.contains("operator.token") && login.contains("demo.token"),
        "the login page names both token files vern up writes"
    );
    browser.screenshot(&shots.join("login.png"));
    browser
        .find("textarea[name=token]")
        .type_text("not-a-token");
    browser.find("form.login button").click();
    browser.wait_for_text("Nøkkelen ble ikke godtatt");
    browser.find("textarea[name=token]").type_text(token);
    browser.find("form.login button").click();

    // Cases needing review: breached first, in all five municipalities.
    browser.wait_for_text("Saker til oppfølging");
    let source = browser.source();
    for expected in ["fristbrudd", "5035 Stjørdal", "Mottak", "saksbehandler-"] {
        assert!(
            source.contains(expected),
            "no {expected:?} on the cases page"
        );
    }
    let statuses: Vec<String> = browser
        .find_all("table.worklist tbody tr td:first-child")
        .iter()
        .map(|cell| cell.text())
        .collect();
    assert_eq!(statuses.len(), 50, "a full first page");
    let first_calm = statuses
        .iter()
        .position(|s| s.is_empty())
        .unwrap_or(statuses.len());
    assert!(first_calm > 0, "breached rows come first");
    assert!(
        statuses[first_calm..].iter().all(String::is_empty),
        "no breached row after a calm one: {statuses:?}"
    );
    browser.screenshot(&shots.join("cases.png"));
    let session = browser
        .cookies()
        .into_iter()
        .find(|cookie| cookie["name"] == "vern_session")
        .expect("a session cookie");
    assert_eq!(session["httpOnly"], true, "{session}");
    assert_eq!(session["sameSite"], "Strict", "{session}");

    let cases = totals(&browser);
    // The leader's menu: every page.
    let menu: Vec<String> = browser
        .find_all("nav a")
        .iter()
        .map(|link| link.attribute("href").unwrap_or_default())
        .collect();
    assert_eq!(
        menu.join(" "),
        "/cases /letters /statistics /report /system /login"
    );

    // Paging keeps the filter; the form, sent by its button, shows only its municipality.
    browser.find(".pager a").click();
    browser.wait_for_text("Side 2");
    browser
        .find("select[name=municipality] option[value='5034']")
        .click();
    browser.find("form.filters button").click();
    browser.wait_for_url("municipality=5034");
    browser.wait_for_text("Saker til oppfølging");
    let municipalities: Vec<String> = browser
        .find_all("table.worklist tbody tr td:nth-child(4)")
        .iter()
        .map(|cell| cell.text())
        .collect();
    assert!(!municipalities.is_empty());
    assert!(
        municipalities.iter().all(|m| m == "5034 Meråker"),
        "{municipalities:?}"
    );

    // Letters owed, some overdue; the form by its button.
    browser.find("nav a[href='/letters']").click();
    browser.wait_for_url("/letters");
    browser.wait_for_text("Brev til melder");
    let letters = totals(&browser);
    assert!(browser.source().contains("fristbrudd"), "no overdue letter");
    browser.screenshot(&shots.join("letters.png"));
    browser
        .find("select[name=municipality] option[value='5035']")
        .click();
    browser.find("form.filters button").click();
    browser.wait_for_url("municipality=5035");
    browser.wait_for_text("Brev til melder");
    let municipalities: Vec<String> = browser
        .find_all("table.worklist tbody tr td:nth-child(4)")
        .iter()
        .map(|cell| cell.text())
        .collect();
    assert!(
        municipalities.iter().all(|m| m == "5035 Stjørdal"),
        "{municipalities:?}"
    );

    // Statistics: the form with each kind of period, sent by its button.
    let last_year = chrono::Utc::now().year() - 1;
    browser.find("nav a[href='/statistics']").click();
    browser.wait_for_url("/statistics");
    browser.wait_for_text("Statistikk");
    for (kind, number, heading) in [
        ("quarter", "4", format!("4. kvartal {last_year}")),
        ("half", "1", format!("1. halvår {last_year}")),
        ("year", "", format!("året {last_year}")),
    ] {
        browser.find("input[name=year]").clear();
        browser
            .find("input[name=year]")
            .type_text(&last_year.to_string());
        browser
            .find(&format!("select[name=period] option[value={kind}]"))
            .click();
        browser.find("input[name=number]").clear();
        browser.find("input[name=number]").type_text(number);
        browser.find("form.filters button").click();
        browser.wait_for_text(&heading);
        assert!(browser.current_url().contains(&format!("period={kind}")));
    }
    let rows = browser.find_all("table.figures tbody tr");
    assert_eq!(rows.len(), 5, "one row per municipality");
    assert_eq!(browser.find("tfoot th").text(), "Sum");
    assert_eq!(
        browser.find_all("svg rect").len(),
        10,
        "two bars per municipality"
    );
    browser.screenshot(&shots.join("statistics.png"));
    // Counted as Statistics Norway counts, the page says so; a counting that is not one is
    // refused, naming the field.
    browser.goto(&format!(
        "{dashboard}/statistics?period=year&year={last_year}&counting=nasjonal"
    ));
    browser.wait_for_text("Nasjonal telling");
    assert_eq!(browser.find_all("table.figures tbody tr").len(), 5);
    browser.goto(&format!(
        "{dashboard}/statistics?period=year&year={last_year}&counting=kommunal"
    ));
    browser.wait_for_text("counting");

    // A year that is not a number: the form again, the field marked, nothing counted.
    browser.find("input[name=year]").clear();
    browser.find("input[name=year]").type_text("tjue");
    browser.find("form.filters button").click();
    browser.wait_for_text("År: må være et helt tall");
    assert_eq!(
        browser
            .find("label.invalid input")
            .attribute("name")
            .as_deref(),
        Some("year")
    );
    assert!(browser.find_all("table").is_empty());
    browser.screenshot(&shots.join("statistics-refused.png"));

    // The quarterly report: last year's fourth quarter, with its totals, and its download.
    browser.find("nav a[href='/report']").click();
    browser.wait_for_url("/report");
    browser.wait_for_text("Kvartalsrapport til kontrollutvalget");
    browser.find("input[name=year]").clear();
    browser
        .find("input[name=year]")
        .type_text(&last_year.to_string());
    browser
        .find("select[name=quarter] option[value='4']")
        .click();
    browser.find("form.filters button").click();
    browser.wait_for_text(&format!(
        "4. kvartal {last_year} (01.10.{last_year}–31.12.{last_year})"
    ));
    assert_eq!(browser.find_all("table.figures tbody tr").len(), 5);
    assert_eq!(browser.find("tfoot th").text(), "Sum");
    assert!(browser.source().contains("Tatt ut"));
    browser.screenshot(&shots.join("report.png"));
    let download = browser
        .find("a[download]")
        .attribute("href")
        .expect("the CSV link");
    let session_id = browser
        .cookies()
        .into_iter()
        .find(|cookie| cookie["name"] == "vern_session")
        .and_then(|cookie| cookie["value"].as_str().map(str::to_owned))
        .unwrap();
    let answer = get(dashboard, &download, &session_id);
    let (head, csv) = answer.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.contains("text/csv") && head.contains(&format!("kvartalsrapport-{last_year}-K4.csv")),
        "{head}"
    );
    let csv = csv.to_owned();

    // A case's timeline: its events with their facts, its running deadlines, its reports.
    browser.goto(&format!("{dashboard}/cases/{case_id}"));
    browser.wait_for_text("Tidslinje for sak");
    assert!(
        browser.source().contains("Sak opprettet fra melding")
            && !browser.source().contains("CaseOpenedFromReport"),
        "the timeline starts with the opening, in Norwegian"
    );
    assert!(browser.source().contains("Løpende frister"));
    assert!(
        !browser.find_all("table.events dl.facts").is_empty(),
        "no facts"
    );
    browser.screenshot(&shots.join("timeline.png"));
    // Its report's page, and back to the case from it.
    browser.find("p.summary a[href^='/reports/']").click();
    browser.wait_for_text("Barnas saker");
    assert!(browser.source().contains("Melding mottatt"));
    browser.screenshot(&shots.join("report-page.png"));
    browser
        .find(&format!("p.summary a[href='/cases/{case_id}']"))
        .click();
    browser.wait_for_text("Tidslinje for sak");

    // From a breached item on the worklist, one click to why: the step that started its
    // clock and what is missing.
    browser.find("nav a[href='/cases']").click();
    // The menu names every page: wait for what only the list has.
    browser.wait_for_text("Hele utvalget, ikke bare denne siden");
    browser.find("table.worklist a.breach").click();
    browser.wait_for_text("Hvorfor fristen er brutt");
    let why = browser.source();
    assert!(
        why.contains("startet klokken") && why.contains("Mangler") && why.contains("Brutt fra"),
        "{why}"
    );
    browser.screenshot(&shots.join("why.png"));

    // System health.
    browser.goto(&format!("{dashboard}/system"));
    browser.wait_for_text("Systemstatus");
    let source = browser.source();
    for view in [
        "case_timeline",
        "worklist",
        "caseload",
        "statistics",
        "PostgreSQL",
    ] {
        assert!(source.contains(view), "no {view} on the system page");
    }
    browser.screenshot(&shots.join("system.png"));

    // A form posted without the session's CSRF token is refused, and nothing changes.
    let session_id = session["value"].as_str().unwrap().to_owned();
    let refused = post(dashboard, "/logout", &session_id, "csrf=guess");
    assert!(refused.starts_with("HTTP/1.1 403"), "{refused}");
    browser.goto(&format!("{dashboard}/system"));
    browser.wait_for_text("Systemstatus");

    // Logging out ends the session.
    browser.find("nav form button").click();
    browser.wait_for_text("Logg inn");
    browser.goto(&format!("{dashboard}/cases"));
    browser.wait_for_text("Logg inn");
    let after = post(dashboard, "/logout", &session_id, "csrf=guess");
    assert!(
        after.starts_with("HTTP/1.1 303"),
        "the old session is gone: {after}"
    );

    // The operator runs the system and sees no case: the system page, and a refusal elsewhere.
    browser.find("textarea[name=token]").type_text(operator);
    browser.find("form.login button").click();
    browser.wait_for_text("Systemstatus");
    assert!(
        browser.current_url().ends_with("/system"),
        "{}",
        browser.current_url()
    );
    // The operator's menu has only what the role may open; a refusal keeps it.
    let menu: Vec<String> = browser
        .find_all("nav a")
        .iter()
        .map(|link| link.attribute("href").unwrap_or_default())
        .collect();
    assert_eq!(menu, ["/system", "/login"]);
    for page in [
        "/cases",
        "/letters",
        &format!("/cases/{case_id}"),
        "/statistics",
        "/report",
    ] {
        browser.goto(&format!("{dashboard}{page}"));
        browser.wait_for_text("Rollen din gir ikke tilgang");
        assert!(
            !browser.source().contains("5035 Stjørdal"),
            "{page} showed case content"
        );
        assert_eq!(browser.find_all("nav a").len(), 2, "{page} keeps the menu");
    }
    browser.screenshot(&shots.join("refused.png"));
    Seen {
        csv,
        cases,
        letters,
    }
}

/// A GET with the session cookie; the whole answer, head and body.
fn get(dashboard: &str, path: &str, session: &str) -> String {
    use std::io::{Read as _, Write as _};
    let address = dashboard.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nCookie: vern_session={session}\r\n\
         Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

/// A form POST with the session cookie, as another site's page would send it; the status line
/// and headers of the answer.
fn post(dashboard: &str, path: &str, session: &str, form: &str) -> String {
    use std::io::{Read as _, Write as _};
    let address = dashboard.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nCookie: vern_session={session}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{form}",
        form.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}
