//! Headless Chromium over WebDriver (chromedriver), for the web app's tests.
//!
//! A test asks [`Browser::start`]; it gets `None` (and says so) only when
//! `BLOODPLAN_TEST_BROWSER` is unset and no chromedriver is installed. `.ci/run` sets it to
//! `required`, so a missing browser fails CI instead of skipping.
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

pub const BROWSER_ENV: &str = "BLOODPLAN_TEST_BROWSER";

/// One browser at a time: two cores cannot run several Chromiums and the app quickly.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub struct Browser {
    driver: Child,
    port: u16,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn find_driver() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join("chromedriver")).find(|p| p.is_file())
}

fn find_chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

impl Browser {
    pub async fn start() -> Option<Browser> {
        let required = std::env::var(BROWSER_ENV).is_ok_and(|v| !v.is_empty());
        let Some(driver) = find_driver() else {
            assert!(
                !required,
                "{BROWSER_ENV} is set but no chromedriver is on PATH (apt-get install chromium-driver)"
            );
            eprintln!("no chromedriver on PATH and {BROWSER_ENV} unset: skipping a browser test");
            return None;
        };
        let turn = ONE_AT_A_TIME.lock().await;
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let browser = Browser { driver: child, port, _turn: turn };
        // Wait until chromedriver listens (readiness, not a timed assertion).
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return Some(browser);
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("chromedriver did not start listening");
    }

    /// A new browser window with its own cookies, at the desktop size.
    pub async fn session(&self) -> Page {
        let mut caps = serde_json::Map::new();
        let mut options = json!({
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1366,768", "--lang=zh-CN", "--hide-scrollbars"],
        });
        if let Some(binary) = find_chromium() {
            options["binary"] = json!(binary);
        }
        caps.insert("goog:chromeOptions".into(), options);
        caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a Chromium session starts");
        Page { client }
    }
}

/// Chromedriver's log endpoint (`POST /session/{id}/se/log`), which fantoccini does not wrap.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (poem::http::Method, Option<String>) {
        (poem::http::Method::POST, Some(json!({ "type": "browser" }).to_string()))
    }
}

pub struct Page {
    pub client: Client,
}

/// A figure as a page prints it (8,417) as a number.
pub fn number(text: &str) -> i64 {
    let digits: String = text.chars().filter(|c| c.is_ascii_digit() || *c == '-').collect();
    digits.parse().unwrap_or_else(|_| panic!("not a figure: {text:?}"))
}

pub fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("test-output").join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir
}

impl Page {
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    pub async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
            .text()
            .await
            .expect("element text")
    }

    pub async fn has(&self, css: &str) -> bool {
        self.client.find(Locator::Css(css)).await.is_ok()
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let e = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no field {css}: {e}"));
        e.clear().await.expect("clear field");
        e.send_keys(value).await.expect("type into field");
    }

    /// Clicks and waits for the next page when the click submits or follows a link.
    pub async fn click(&self, css: &str) {
        let e = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no element {css}: {e}"));
        e.click().await.unwrap_or_else(|e| panic!("cannot click {css}: {e}"));
    }

    pub async fn click_and_wait(&self, css: &str) {
        let before = self.client.find(Locator::Css("html")).await.expect("page");
        self.click(css).await;
        // The old document's element goes stale once the new page has loaded.
        self.client.wait().for_element(Locator::Css("body")).await.expect("a page after the click");
        for _ in 0..400 {
            if before.tag_name().await.is_err() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        self.client.wait().for_element(Locator::Css("footer")).await.expect("the new page has loaded");
    }

    /// Sets a field's value directly (date inputs take typed keys in the browser's locale).
    pub async fn set_value(&self, css: &str, value: &str) {
        let script =
            "const e = document.querySelector(arguments[0]); e.value = arguments[1]; return e.value;";
        let set = self.client.execute(script, vec![json!(css), json!(value)]).await;
        assert_eq!(
            set.unwrap_or_else(|e| panic!("no field {css}: {e}")),
            json!(value),
            "{css} took the value"
        );
    }

    /// Chooses a local file in a file input.
    pub async fn choose_file(&self, css: &str, path: &std::path::Path) {
        let e = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no field {css}: {e}"));
        e.send_keys(&path.display().to_string()).await.expect("choose a file");
    }

    /// Clicks a button whose form asks "are you sure?", says yes, and waits for the next page.
    pub async fn click_confirm_and_wait(&self, css: &str) {
        let before = self.client.find(Locator::Css("html")).await.expect("page");
        self.click(css).await;
        let question = self.client.get_alert_text().await.expect("the form asks first");
        assert!(!question.is_empty());
        self.client.accept_alert().await.expect("accept");
        for _ in 0..400 {
            if before.tag_name().await.is_err() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        self.client.wait().for_element(Locator::Css("footer")).await.expect("the new page has loaded");
    }

    /// Signs in through the login form (from wherever the app sent us).
    pub async fn login(&self, address: &str, username: &str, next: &str) {
        self.login_with(address, username, crate::helpers::PASSWORD, next).await;
    }

    pub async fn login_with(&self, address: &str, username: &str, password: &str, next: &str) {
        self.goto(&format!("{address}{next}")).await;
        assert!(self.path().await.starts_with("/login"), "a page without a session goes to the login page");
        self.fill("#username", username).await;
        self.fill("#password", password).await;
        self.click_and_wait("#login-submit").await;
    }

    /// The browser console's errors since the last call.
    pub async fn console_errors(&self) -> Vec<String> {
        let entries = self.client.issue_cmd(BrowserLog).await.expect("browser log");
        entries
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e: Value| e["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    pub async fn assert_clean_console(&self, what: &str) {
        let errors = self.console_errors().await;
        assert!(errors.is_empty(), "the console shows errors on {what}: {errors:#?}");
    }

    /// Screenshots at 1366×768 and at a 390×844 phone; also checks the console.
    pub async fn screenshots(&self, name: &str) {
        let dir = screenshot_dir();
        for (w, h, tag) in [(1366u32, 768u32, "desktop"), (390, 844, "phone")] {
            self.client.set_window_size(w, h).await.expect("resize");
            let png = self.client.screenshot().await.expect("screenshot");
            std::fs::write(dir.join(format!("{name}-{tag}.png")), png).expect("write screenshot");
            let width = self.client.execute("return document.documentElement.scrollWidth", vec![]).await;
            let width = width.expect("page width").as_i64().expect("a number");
            if width > i64::from(w) {
                let script = "return [...document.querySelectorAll('body *')]
                    .filter(e => e.getBoundingClientRect().right > arguments[0])
                    .slice(-5).map(e => e.tagName + '#' + e.id + '.' + e.className).join(', ')";
                let wide = self.client.execute(script, vec![json!(w)]).await.unwrap_or_default();
                panic!("{name} is {width} px wide at {w} px, the page scrolls sideways: {wide}");
            }
        }
        self.client.set_window_size(1366, 768).await.expect("resize back");
        self.assert_clean_console(name).await;
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}
