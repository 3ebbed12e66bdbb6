//! A headless Chromium for end-to-end tests of the web dashboard, driven through chromedriver
//! with `fantoccini`, a maintained WebDriver client. What is Vern's own here: finding (or, as
//! root, installing) Chromium and chromedriver, starting the driver, and a blocking face on the
//! client, so a test reads as a list of steps.
//!
//! Why every failure panics: these are test helpers, and a panic with the driver's own error
//! is the most useful thing a failing test can show.
//!
//! The calls block on a runtime of the browser's own. Call them from a thread that is not
//! driving async tasks (`spawn_blocking`, or a plain test), so the server under test keeps
//! running while the browser waits for it.

use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

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
pub struct Browser {
    runtime: tokio::runtime::Runtime,
    client: Option<Client>,
    driver: Child,
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Browser")
            .field("driver", &self.driver.id())
            .finish()
    }
}

/// An element found on the current page; valid until the page changes.
#[derive(Debug)]
pub struct Element<'b> {
    browser: &'b Browser,
    element: fantoccini::elements::Element,
    css: String,
}

impl Browser {
    /// Starts chromedriver on a free loopback port and opens a browser session in it.
    pub fn start() -> Browser {
        let binaries = binaries();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("browser: a runtime for the WebDriver client: {e}"));
        // The port is free when we look but may be taken before chromedriver binds it, so a
        // driver that exits at once gets another try on another port.
        let mut attempt = 0;
        loop {
            attempt += 1;
            let port = free_port();
            let mut driver = Command::new(&binaries.driver)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("browser: starting {}: {e}", binaries.driver.display()));
            match runtime.block_on(open_session(&mut driver, port, binaries)) {
                Ok(client) => {
                    return Browser {
                        runtime,
                        client: Some(client),
                        driver,
                    };
                }
                Err(error) => {
                    let _ = driver.kill();
                    let _ = driver.wait();
                    if attempt >= 3 {
                        panic!(
                            "browser: chromedriver ({}) gave no session: {error}",
                            binaries.driver.display()
                        );
                    }
                }
            }
        }
    }

    /// Opens `url` and waits until it has loaded.
    pub fn goto(&self, url: &str) {
        self.run(&format!("goto {url}"), self.client().goto(url));
    }

    /// The page's HTML as the browser has it now, scripts' changes included.
    pub fn source(&self) -> String {
        self.run("source", self.client().source())
    }

    pub fn current_url(&self) -> String {
        self.run("current url", self.client().current_url())
            .to_string()
    }

    pub fn title(&self) -> String {
        self.run("title", self.client().title())
    }

    /// The first element matching the CSS selector; panics when there is none.
    pub fn find(&self, css: &str) -> Element<'_> {
        let element = self.run(
            &format!("find {css:?}"),
            self.client().find(Locator::Css(css)),
        );
        self.element(element, css)
    }

    /// Every element matching the CSS selector, in document order; empty when there is none.
    pub fn find_all(&self, css: &str) -> Vec<Element<'_>> {
        self.run(
            &format!("find all {css:?}"),
            self.client().find_all(Locator::Css(css)),
        )
        .into_iter()
        .map(|element| self.element(element, css))
        .collect()
    }

    /// The cookies visible to the current page, as WebDriver describes them (`name`, `value`,
    /// `path`, `domain`, `secure`, `httpOnly`, `sameSite`).
    pub fn cookies(&self) -> Vec<Value> {
        self.run("cookies", self.client().get_all_cookies())
            .into_iter()
            .map(|cookie| {
                json!({
                    "name": cookie.name(),
                    "value": cookie.value(),
                    "path": cookie.path(),
                    "domain": cookie.domain(),
                    "secure": cookie.secure(),
                    "httpOnly": cookie.http_only(),
                    "sameSite": cookie.same_site().map(|same_site| same_site.to_string()),
                })
            })
            .collect()
    }

    /// Saves a PNG of the viewport, for looking at what a test saw.
    pub fn screenshot(&self, path: &Path) {
        let png = self.run("screenshot", self.client().screenshot());
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .unwrap_or_else(|e| panic!("browser: creating {}: {e}", dir.display()));
        }
        std::fs::write(path, png)
            .unwrap_or_else(|e| panic!("browser: writing {}: {e}", path.display()));
    }

    /// After a click that navigates: waits up to 20 s for the address to contain `part`, so
    /// what follows reads the new page, not the one the click left.
    pub fn wait_for_url(&self, part: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.current_url().contains(part) {
            assert!(
                Instant::now() < deadline,
                "browser: the address did not come to contain {part:?} within 20 s: {}",
                self.current_url()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
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

    fn client(&self) -> &Client {
        self.client
            .as_ref()
            .unwrap_or_else(|| panic!("browser: the session is closed"))
    }

    /// Runs one WebDriver command to its end; a failure panics with the driver's error.
    fn run<T>(
        &self,
        what: &str,
        command: impl Future<Output = Result<T, fantoccini::error::CmdError>>,
    ) -> T {
        self.runtime
            .block_on(command)
            .unwrap_or_else(|error| panic!("browser: {what}: {error}"))
    }

    fn element(&self, element: fantoccini::elements::Element, css: &str) -> Element<'_> {
        Element {
            browser: self,
            element,
            css: css.to_owned(),
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Closing the session is what makes chromedriver close Chromium; killing the driver
        // alone would leave the browser running.
        if let Some(client) = self.client.take() {
            let _ = self.runtime.block_on(async {
                tokio::time::timeout(Duration::from_secs(10), client.close()).await
            });
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Element<'_> {
    pub fn click(&self) {
        self.browser
            .run(&format!("click {:?}", self.css), self.element.click());
    }

    /// Types into the element as a user would, key by key, after what is already there.
    pub fn type_text(&self, text: &str) {
        self.browser.run(
            &format!("type into {:?}", self.css),
            self.element.send_keys(text),
        );
    }

    /// Empties a text field, as selecting its text and deleting it would.
    pub fn clear(&self) {
        self.browser
            .run(&format!("clear {:?}", self.css), self.element.clear());
    }

    /// The rendered text, as a user sees it (hidden parts left out).
    pub fn text(&self) -> String {
        self.browser
            .run(&format!("text of {:?}", self.css), self.element.text())
    }

    /// `None` when the element has no such attribute.
    pub fn attribute(&self, name: &str) -> Option<String> {
        self.browser.run(
            &format!("attribute {name} of {:?}", self.css),
            self.element.attr(name),
        )
    }
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap_or_else(|e| panic!("browser: finding a free port: {e}"))
}

/// Opens a session on the driver at `port` once it listens: headless, sized, with a page load
/// timeout so a page that never loads fails with the driver's own error.
async fn open_session(
    driver: &mut Child,
    port: u16,
    binaries: &Binaries,
) -> Result<Client, String> {
    let capabilities = json!({
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
        "timeouts": { "pageLoad": 30_000 },
    });
    let Value::Object(capabilities) = capabilities else {
        return Err("capabilities are not an object".to_owned());
    };
    let mut builder = ClientBuilder::new(HttpConnector::new());
    builder.capabilities(capabilities);
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(Some(status)) = driver.try_wait() {
            return Err(format!("it exited with {status} on port {port}"));
        }
        match builder.connect(&url).await {
            Ok(client) => return Ok(client),
            Err(error) if Instant::now() >= deadline => {
                return Err(format!("no session within 30 s on port {port}: {error}"));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}
