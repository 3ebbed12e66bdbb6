//! The frame every page shares. Pages are `maud` markup: the compiler checks their shape, and
//! every value spliced into one is escaped unless it is itself markup, so a name or a free text
//! can never become markup by a forgotten call.

use handling::policy::{Page, permits_page};
use maud::{DOCTYPE, Markup, html};
use platform::auth::Role;

/// A query-string value.
pub(crate) fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}

/// Who is logged in, for the header: subject, role and the logout form's CSRF token.
pub(crate) struct Viewer<'a> {
    pub(crate) subject: &'a str,
    pub(crate) role: Role,
    pub(crate) csrf: &'a str,
}

/// The menu: a page shows in it only for a role that may open it (`handling::policy`), so
/// nobody is offered a link that answers with a refusal.
const NAVIGATION: [(&str, &str, Option<Page>); 6] = [
    ("/cases", "Saker til oppfølging", Some(Page::Cases)),
    ("/letters", "Brev til melder", Some(Page::Letters)),
    ("/statistics", "Statistikk", Some(Page::Statistics)),
    ("/report", "Kvartalsrapport", Some(Page::Statistics)),
    ("/system", "Systemstatus", Some(Page::System)),
    ("/login", "Bytt bruker", None),
];

/// The menu's entries for `role`.
pub(crate) fn menu(role: Role) -> impl Iterator<Item = (&'static str, &'static str)> {
    NAVIGATION
        .into_iter()
        .filter(move |(_, _, page)| page.is_none_or(|page| permits_page(role, page)))
        .map(|(href, label, _)| (href, label))
}

/// A whole page around `body`; the menu and who is logged in when there is a viewer.
pub(crate) fn page(title: &str, viewer: Option<&Viewer<'_>>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="nb" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Vern" }
                link rel="stylesheet" href="/style.css";
            }
            body {
                header {
                    span.brand { "Vern" }
                    @if let Some(viewer) = viewer {
                        nav {
                            @for (href, label) in menu(viewer.role) {
                                a href=(href) { (label) }
                            }
                            span.who { (viewer.subject) " (" (viewer.role.name()) ")" }
                            form method="post" action="/logout" {
                                input type="hidden" name="csrf" value=(viewer.csrf);
                                button type="submit" { "Logg ut" }
                            }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

pub(crate) const STYLE: &str = "\
body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fafafa}\
header{display:flex;align-items:center;gap:1.5rem;padding:.6rem 1.5rem;background:#0b3954;color:#fff}\
header a{color:#fff;text-decoration:none}header a:hover{text-decoration:underline}\
.brand{font-weight:700;font-size:1.2rem}nav{display:flex;gap:1rem;align-items:center;flex:1}\
nav .who{margin-left:auto;opacity:.85}nav form{display:inline}\
main{padding:1rem 1.5rem;max-width:75rem}h1{font-size:1.4rem}\
table{border-collapse:collapse;width:100%;background:#fff}th,td{padding:.35rem .6rem;border-bottom:1px solid #ddd;text-align:left;font-size:.92rem}\
th{background:#eef2f5}tr.breached td{background:#fde8e8}td.num{text-align:right}.late{color:#8a4b00;font-size:.9em}\
.badge{display:inline-block;padding:0 .4rem;border-radius:.3rem;font-size:.8rem}\
.red{background:#c62828;color:#fff}.yellow{background:#f9a825}.green{background:#2e7d32;color:#fff}\
.breach{background:#c62828;color:#fff}form.filters{display:flex;gap:.8rem;align-items:end;margin-bottom:1rem;flex-wrap:wrap}\
label{display:flex;flex-direction:column;font-size:.85rem;gap:.2rem}\
.login{display:flex;flex-direction:column;gap:.6rem;max-width:40rem}textarea{font-family:monospace}\
.error{color:#b71c1c;font-weight:600}.hint{color:#555;font-size:.9rem}\
.pager{display:flex;gap:1rem;margin-top:.8rem}.summary{color:#333}\
svg text{font-size:12px}\
table.totals{width:auto;margin-bottom:1rem}table.totals caption{text-align:left;font-size:.85rem;color:#555}\
tfoot th,tfoot td{border-top:2px solid #1b1b1b;font-weight:700;background:#eef2f5}\
dl.report{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dl.report dt{font-weight:600}\
dl.report dd{margin:0}\
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:0 .6rem;margin:0;font-size:.88rem}\
dl.facts dt{color:#555}dl.facts dd{margin:0}a.button{font-weight:600}\
.invalid input,.invalid select{outline:2px solid #b71c1c}.invalid{color:#b71c1c}\
@media print{header,.no-print,form.filters,.pager{display:none}body{background:#fff}\
main{padding:0;max-width:none}table{font-size:9pt}th,td{padding:.15rem .3rem}\
@page{size:A4 landscape;margin:12mm}}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_data_stays_text() {
        let viewer = Viewer {
            subject: "<script>\"x\" & 'y'</script>",
            role: Role::ServiceLeader,
            csrf: "\"><b>",
        };
        let page = page("<i>", Some(&viewer), html! { p { ("<script>") } }).into_string();
        assert!(!page.contains("<script>"), "{page}");
        assert!(!page.contains("<i>") && !page.contains("<b>"), "{page}");
        assert!(
            page.contains("&lt;script&gt;&quot;x&quot; &amp; 'y'&lt;/script&gt;"),
            "{page}"
        );
        assert_eq!(url_encode("Mottak øst&x"), "Mottak%20%C3%B8st%26x");
    }

    #[test]
    fn the_menu_offers_only_the_pages_a_role_may_open() {
        let hrefs = |role| menu(role).map(|(href, _)| href).collect::<Vec<_>>();
        assert_eq!(
            hrefs(Role::ServiceLeader),
            [
                "/cases",
                "/letters",
                "/statistics",
                "/report",
                "/system",
                "/login"
            ]
        );
        assert_eq!(hrefs(Role::Operator), ["/system", "/login"]);
        assert_eq!(
            hrefs(Role::Supervisor),
            ["/statistics", "/report", "/system", "/login"]
        );
    }
}
