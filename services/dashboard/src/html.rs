//! The frame every page shares, and escaping: every value that comes from data goes through
//! `escape`, so a name or a free text can never become markup.

/// Text safe inside elements and quoted attributes.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

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
    pub(crate) role: &'a str,
    pub(crate) csrf: &'a str,
}

const NAVIGATION: [(&str, &str); 5] = [
    ("/cases", "Saker til oppfølging"),
    ("/letters", "Brev til melder"),
    ("/statistics", "Statistikk"),
    ("/system", "Systemstatus"),
    ("/login", "Bytt bruker"),
];

/// A whole page: `body` is markup the caller built with escaped values.
pub(crate) fn page(title: &str, viewer: Option<&Viewer<'_>>, body: &str) -> String {
    let navigation = match viewer {
        Some(viewer) => {
            let links: String = NAVIGATION
                .iter()
                .map(|(href, label)| format!("<a href=\"{href}\">{label}</a>"))
                .collect();
            format!(
                "<nav>{links}<span class=\"who\">{} ({})</span>\
                 <form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
                 <button type=\"submit\">Logg ut</button></form></nav>",
                escape(viewer.subject),
                escape(viewer.role),
                escape(viewer.csrf)
            )
        }
        None => String::new(),
    };
    format!(
        "<!doctype html><html lang=\"nb\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · Vern</title><link rel=\"stylesheet\" href=\"/style.css\"></head>\
         <body><header><span class=\"brand\">Vern</span>{navigation}</header><main>{body}</main></body></html>",
        escape(title)
    )
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
svg text{font-size:12px}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_data_stays_text() {
        assert_eq!(
            escape("<script>\"x\" & 'y'</script>"),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;"
        );
        assert_eq!(url_encode("Mottak øst&x"), "Mottak%20%C3%B8st%26x");
    }
}
