//! A headless Chromium for end-to-end tests of the web dashboard, driven through chromedriver.
//!
//! Why not a WebDriver crate: the ones there are async and bring an HTTP stack with them, and
//! the tests need a dozen commands. A blocking client of a few lines over `TcpStream` is less
//! to build and less to trust, and it is all a test wants: one request at a time, to a driver
//! on the loopback interface.
//!
//! Why every failure panics: these are test helpers, and a panic with the driver's own error
//! is the most useful thing a failing test can show.
//!
//! The calls block. From an async test, make sure the server under test does not run on the
//! test's own thread (a `current_thread` runtime would stall while the browser waits for it):
//! use `#[tokio::test(flavor = "multi_thread")]` or call the browser from `spawn_blocking`.

use std::io::{ErrorKind, Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

/// The key under which W3C WebDriver returns an element's id.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Long enough for a slow page load on a busy CI machine, short enough that a hung driver
/// fails the test instead of hanging it.
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// `chromedriver`, for tests that drive a browser: from `PATH` or `/usr/bin`, else installed
/// with `apt-get` when running as root (as CI does). So the README's test command works on a
/// fresh machine with nothing installed by hand. Checks for Chromium too, since the driver is
/// no use without it.
pub fn chromedriver() -> PathBuf {
    binaries().driver.clone()
}

struct Binaries {
    driver: PathBuf,
    chromium: PathBuf,
}

/// Looked up once per process, so parallel tests do not race each other into `apt-get`.
fn binaries() -> &'static Binaries {
    static BINARIES: OnceLock<Binaries> = OnceLock::new();
    BINARIES.get_or_init(|| {
        let look = || {
            Some(Binaries {
                driver: find_binary("chromedriver")?,
                chromium: find_binary("chromium")?,
            })
        };
        if let Some(found) = look() {
            return found;
        }
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0");
        if root {
            let install = || {
                Command::new("apt-get")
                    .args([
                        "install",
                        "-y",
                        "--no-install-recommends",
                        "chromium",
                        "chromium-driver",
                    ])
                    .env("DEBIAN_FRONTEND", "noninteractive")
                    .status()
                    .is_ok_and(|status| status.success())
            };
            if !install() {
                // The package lists may be missing or stale (as in a fresh container).
                let _ = Command::new("apt-get")
                    .arg("update")
                    .env("DEBIAN_FRONTEND", "noninteractive")
                    .status();
                install();
            }
            if let Some(found) = look() {
                return found;
            }
        }
        panic!(
            "browser tests need Chromium and chromedriver: install the Debian packages chromium \
             and chromium-driver (apt-get install chromium chromium-driver); looked on PATH and \
             in /usr/bin{}",
            if root {
                ", and apt-get could not install them"
            } else {
                ""
            }
        );
    })
}

/// On `PATH` first, then in `/usr/bin`, which a test runner's trimmed `PATH` may leave out.
fn find_binary(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .find(|path| path.is_file())
        })
        .or_else(|| Some(Path::new("/usr/bin").join(name)).filter(|path| path.is_file()))
}

/// A headless Chromium with one WebDriver session, and the chromedriver that runs it. Both go
/// away on drop.
#[derive(Debug)]
pub struct Browser {
    driver: Child,
    port: u16,
    session: String,
}

/// An element found on the current page; valid until the page changes.
#[derive(Debug)]
pub struct Element<'b> {
    browser: &'b Browser,
    id: String,
}

impl Browser {
    /// Starts chromedriver on a free loopback port and opens a browser session in it.
    pub fn start() -> Browser {
        let binaries = binaries();
        // The port is free when we look but may be taken before chromedriver binds it, so a
        // driver that exits at once gets another try on another port.
        let mut attempt = 0;
        let (mut driver, port) = loop {
            attempt += 1;
            let port = free_port();
            let mut driver = Command::new(&binaries.driver)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("browser: starting {}: {e}", binaries.driver.display()));
            match wait_until_ready(&mut driver, port) {
                Ok(()) => break (driver, port),
                Err(error) => {
                    let _ = driver.kill();
                    let _ = driver.wait();
                    if attempt >= 3 {
                        panic!(
                            "browser: chromedriver ({}) did not become ready: {error}",
                            binaries.driver.display()
                        );
                    }
                }
            }
        };
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": binaries.chromium,
                        "args": [
                            "--headless=new",
                            "--no-sandbox",
                            "--disable-gpu",
                            "--disable-dev-shm-usage",
                            "--window-size=1280,1024",
                        ],
                    },
                    // Under READ_TIMEOUT, so a page that never loads fails with the driver's
                    // own timeout error rather than ours.
                    "timeouts": { "pageLoad": 30_000 },
                },
            },
        });
        let session = webdriver(port, "POST", "/session", Some(&capabilities), READ_TIMEOUT)
            .and_then(|value| {
                value["sessionId"]
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("POST /session: no sessionId in {value}"))
            });
        // Until the session exists there is no `Browser` whose drop would stop the driver.
        let session = session.unwrap_or_else(|error| {
            let _ = driver.kill();
            let _ = driver.wait();
            panic!("browser: {error}")
        });
        Browser {
            driver,
            port,
            session,
        }
    }

    /// Opens `url` and waits until it has loaded.
    pub fn goto(&self, url: &str) {
        self.command("POST", "url", Some(&json!({ "url": url })));
    }

    /// The page's HTML as the browser has it now, scripts' changes included.
    pub fn source(&self) -> String {
        string(self.command("GET", "source", None), "source")
    }

    pub fn current_url(&self) -> String {
        string(self.command("GET", "url", None), "url")
    }

    pub fn title(&self) -> String {
        string(self.command("GET", "title", None), "title")
    }

    /// The first element matching the CSS selector; panics when there is none.
    pub fn find(&self, css: &str) -> Element<'_> {
        let value = self.command(
            "POST",
            "element",
            Some(&json!({ "using": "css selector", "value": css })),
        );
        self.element(&value, css)
    }

    /// Every element matching the CSS selector, in document order; empty when there is none.
    pub fn find_all(&self, css: &str) -> Vec<Element<'_>> {
        let value = self.command(
            "POST",
            "elements",
            Some(&json!({ "using": "css selector", "value": css })),
        );
        match value {
            Value::Array(items) => items.iter().map(|item| self.element(item, css)).collect(),
            other => panic!("browser: elements for {css:?}: expected an array, got {other}"),
        }
    }

    /// The cookies visible to the current page, as WebDriver describes them (`name`, `value`,
    /// `path`, `domain`, `secure`, `httpOnly`, `expiry`, `sameSite`).
    pub fn cookies(&self) -> Vec<Value> {
        match self.command("GET", "cookie", None) {
            Value::Array(cookies) => cookies,
            other => panic!("browser: cookies: expected an array, got {other}"),
        }
    }

    /// Saves a PNG of the viewport, for looking at what a test saw.
    pub fn screenshot(&self, path: &Path) {
        let encoded = string(self.command("GET", "screenshot", None), "screenshot");
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded.as_bytes())
            .unwrap_or_else(|e| panic!("browser: screenshot is not base64: {e}"));
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .unwrap_or_else(|e| panic!("browser: creating {}: {e}", dir.display()));
        }
        std::fs::write(path, png)
            .unwrap_or_else(|e| panic!("browser: writing {}: {e}", path.display()));
    }

    /// For pages that change after they load: waits up to 20 s for `text` to appear in the
    /// page source.
    pub fn wait_for_text(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let source = self.source();
            if source.contains(text) {
                return;
            }
            if Instant::now() >= deadline {
                let mut start = source.len().saturating_sub(2000);
                while !source.is_char_boundary(start) {
                    start += 1;
                }
                panic!(
                    "browser: {text:?} did not appear within 20 s on {}; the page ends with:\n{}",
                    self.current_url(),
                    &source[start..]
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A command on this session: `path` is relative to `/session/{id}/`.
    fn command(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let path = format!("/session/{}/{path}", self.session);
        // WebDriver wants a JSON body on every POST, even when there is nothing to say.
        let empty = json!({});
        let body = body.or((method == "POST").then_some(&empty));
        webdriver(self.port, method, &path, body, READ_TIMEOUT)
            .unwrap_or_else(|error| panic!("browser: {error}"))
    }

    fn element(&self, value: &Value, css: &str) -> Element<'_> {
        match value[ELEMENT_KEY].as_str() {
            Some(id) => Element {
                browser: self,
                id: id.to_owned(),
            },
            None => panic!("browser: element for {css:?}: no element id in {value}"),
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Deleting the session is what makes chromedriver close Chromium; killing the driver
        // alone would leave the browser running.
        let path = format!("/session/{}", self.session);
        let _ = http(self.port, "DELETE", &path, None, Duration::from_secs(10));
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Element<'_> {
    pub fn click(&self) {
        self.command("POST", "click", None);
    }

    /// Types into the element as a user would, key by key, after what is already there.
    pub fn type_text(&self, text: &str) {
        self.command("POST", "value", Some(&json!({ "text": text })));
    }

    /// The rendered text, as a user sees it (hidden parts left out).
    pub fn text(&self) -> String {
        string(self.command("GET", "text", None), "element text")
    }

    /// `None` when the element has no such attribute.
    pub fn attribute(&self, name: &str) -> Option<String> {
        match self.command("GET", &format!("attribute/{name}"), None) {
            Value::Null => None,
            Value::String(value) => Some(value),
            other => Some(other.to_string()),
        }
    }

    fn command(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        self.browser
            .command(method, &format!("element/{}/{path}", self.id), body)
    }
}

fn string(value: Value, what: &str) -> String {
    match value {
        Value::String(text) => text,
        other => panic!("browser: {what}: expected a string, got {other}"),
    }
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap_or_else(|e| panic!("browser: finding a free port: {e}"))
}

fn wait_until_ready(driver: &mut Child, port: u16) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = String::from("no answer yet");
    loop {
        if let Ok(Some(status)) = driver.try_wait() {
            return Err(format!("it exited with {status} on port {port} ({last})"));
        }
        match http(port, "GET", "/status", None, Duration::from_secs(5)) {
            Ok((_, value)) if value["value"]["ready"] == true => return Ok(()),
            Ok((_, value)) => last = format!("status {value}"),
            Err(error) => last = error,
        }
        if Instant::now() >= deadline {
            return Err(format!("not ready within 30 s on port {port} ({last})"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One WebDriver request: the `value` of the answer, or the driver's error.
fn webdriver(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&Value>,
    timeout: Duration,
) -> Result<Value, String> {
    let (status, mut answer) = http(port, method, path, body, timeout)
        .map_err(|error| format!("{method} {path}: {error}"))?;
    if !(200..300).contains(&status) {
        let error = &mut answer["value"];
        // The stack trace is chromedriver's own, native addresses only: no help to a test.
        if let Some(error) = error.as_object_mut() {
            error.remove("stacktrace");
        }
        return Err(format!(
            "{method} {path}: {}: {}\n(HTTP {status}: {error})",
            error["error"].as_str().unwrap_or("error"),
            error["message"].as_str().unwrap_or("(no message)"),
        ));
    }
    Ok(answer["value"].take())
}

/// A minimal HTTP/1.1 exchange with the driver on the loopback interface: the status and the
/// body as JSON (`null` when empty).
fn http(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&Value>,
    timeout: Duration,
) -> Result<(u16, Value), String> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(5))
        .map_err(|e| format!("connecting to chromedriver at {address}: {e}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| format!("setting timeouts: {e}"))?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("sending the request: {e}"))?;

    let mut received = Vec::new();
    let mut buffer = [0; 64 * 1024];
    let (status, body) = loop {
        let read = match stream.read(&mut buffer) {
            Ok(read) => read,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Err(format!("no complete answer within {} s", timeout.as_secs()));
            }
            Err(e) => return Err(format!("reading the answer: {e}")),
        };
        let closed = read == 0;
        received.extend_from_slice(&buffer[..read]);
        if let Some(response) = parse_response(&received, closed)? {
            break response;
        }
        if closed {
            return Err("connection closed before the answer was complete".to_owned());
        }
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok((status, Value::Null));
    }
    let value = serde_json::from_slice(&body).map_err(|e| {
        format!(
            "HTTP {status} with a body that is not JSON ({e}): {}",
            String::from_utf8_lossy(&body)
        )
    })?;
    Ok((status, value))
}

/// The status and body of a response once all of it has arrived; `None` while more is due.
/// Without a length or chunking the body runs until the connection closes.
fn parse_response(received: &[u8], closed: bool) -> Result<Option<(u16, Vec<u8>)>, String> {
    let Some(head_end) = find(received, b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = std::str::from_utf8(&received[..head_end])
        .map_err(|_| "response head is not UTF-8".to_owned())?;
    let body = &received[head_end + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let mut length = None;
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(
                value
                    .parse::<usize>()
                    .map_err(|_| format!("bad Content-Length {value:?}"))?,
            );
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value
                .rsplit(',')
                .next()
                .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"));
        }
    }
    if chunked {
        return Ok(decode_chunked(body)?.map(|body| (status, body)));
    }
    match length {
        Some(length) if body.len() >= length => Ok(Some((status, body[..length].to_vec()))),
        Some(_) => Ok(None),
        None if closed => Ok(Some((status, body.to_vec()))),
        None => Ok(None),
    }
}

/// A chunked body put back together; `None` while the last chunk or the trailers are still
/// due.
fn decode_chunked(mut rest: &[u8]) -> Result<Option<Vec<u8>>, String> {
    let mut body = Vec::new();
    loop {
        let Some(line_end) = find(rest, b"\r\n") else {
            return Ok(None);
        };
        let line = String::from_utf8_lossy(&rest[..line_end]);
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| format!("bad chunk size line {line:?}"))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            // Trailer fields, if any, then an empty line.
            loop {
                let Some(line_end) = find(rest, b"\r\n") else {
                    return Ok(None);
                };
                if line_end == 0 {
                    return Ok(Some(body));
                }
                rest = &rest[line_end + 2..];
            }
        }
        let Some(chunk_end) = size.checked_add(2).filter(|&end| end <= rest.len()) else {
            return Ok(None);
        };
        if &rest[size..chunk_end] != b"\r\n" {
            return Err(format!("chunk of {size} bytes not followed by CRLF"));
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[chunk_end..];
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::{decode_chunked, parse_response};

    #[test]
    fn chunked_bodies_are_put_back_together() {
        let body = b"4\r\nWiki\r\n6;name=value\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\n\r\n";
        assert_eq!(
            decode_chunked(body),
            Ok(Some(b"Wikipedia in \r\n\r\nchunks.".to_vec()))
        );
        let with_trailer = b"3\r\nabc\r\n0\r\nExpires: never\r\n\r\n";
        assert_eq!(decode_chunked(with_trailer), Ok(Some(b"abc".to_vec())));
    }

    #[test]
    fn chunked_bodies_wait_for_the_last_chunk() {
        let whole = b"4\r\nWiki\r\n0\r\n\r\n";
        for end in 0..whole.len() {
            assert_eq!(decode_chunked(&whole[..end]), Ok(None), "cut at {end}");
        }
        assert!(decode_chunked(b"zz\r\n").is_err());
        assert!(decode_chunked(b"2\r\nabc\r\n").is_err());
    }

    #[test]
    fn responses_end_by_length_chunks_or_close() {
        let chunked = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n";
        assert_eq!(
            parse_response(chunked, false),
            Ok(Some((200, b"{}".to_vec())))
        );
        let sized = b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}";
        assert_eq!(
            parse_response(sized, false),
            Ok(Some((404, b"{}".to_vec())))
        );
        assert_eq!(parse_response(&sized[..sized.len() - 1], false), Ok(None));
        let unframed = b"HTTP/1.1 200 OK\r\n\r\n{}";
        assert_eq!(parse_response(unframed, false), Ok(None));
        assert_eq!(
            parse_response(unframed, true),
            Ok(Some((200, b"{}".to_vec())))
        );
    }
}
