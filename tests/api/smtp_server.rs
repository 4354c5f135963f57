//! A real SMTP server on 127.0.0.1 for tests: it keeps what it receives, MIME-decoded, or
//! answers every recipient with a chosen error code.
//!
//! Self-contained so that both the library's unit tests (through `#[path]`) and the API
//! tests can include it. It drives the `mailin` protocol state machine from its own accept
//! loop, because mailin-embedded's server runs forever and would keep the port: here
//! `stop` (or drop) frees the port, and `start_on` can bring a server up on a port where
//! sending has just failed, to show a retry after an outage.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use mailin::{Action, Handler, Response, SessionBuilder};

/// One message as the server took it, with the envelope and the decoded parts.
#[derive(Debug, Clone)]
pub struct ReceivedMessage {
    /// Envelope sender (`MAIL FROM`), without angle brackets.
    pub from: String,
    /// Envelope recipients (`RCPT TO`), without angle brackets.
    pub to: Vec<String>,
    /// The message as sent after `DATA`, dot-unstuffed.
    pub raw: Vec<u8>,
    /// The `Subject` header with RFC 2047 words decoded.
    pub subject: String,
    /// The first text/plain part, transfer- and charset-decoded; empty if none.
    pub text: String,
    /// The first text/html part, decoded likewise; empty if none.
    pub html: String,
}

type Inbox = Arc<Mutex<Vec<ReceivedMessage>>>;

pub struct TestSmtpServer {
    pub port: u16,
    inbox: Inbox,
    stopping: Arc<AtomicBool>,
    accept_loop: Option<JoinHandle<()>>,
}

/// How the server answers: every recipient refused with a code, and/or a wait before it
/// acknowledges each message (a slow server).
#[derive(Debug, Clone, Copy, Default)]
struct Behaviour {
    reject_code: Option<u16>,
    delay: Option<Duration>,
}

/// A port that was free a moment ago: nothing listens there until someone binds it.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a free port");
    listener.local_addr().unwrap().port()
}

impl TestSmtpServer {
    /// Accepts every message, on a port the OS picks.
    pub fn start() -> Self {
        Self::listen(0, Behaviour::default())
    }

    /// Accepts every message, but only `delay` after it has arrived, as a slow server does.
    pub fn start_slow(delay: Duration) -> Self {
        Self::listen(0, Behaviour { delay: Some(delay), ..Behaviour::default() })
    }

    /// Answers every `RCPT TO` with `code` (e.g. 550 or 451), so nothing is delivered.
    pub fn start_rejecting(code: u16) -> Self {
        Self::listen(0, Behaviour { reject_code: Some(code), ..Behaviour::default() })
    }

    /// Accepts every message on a given port, e.g. one where an earlier send failed.
    pub fn start_on(port: u16) -> Self {
        Self::listen(port, Behaviour::default())
    }

    pub fn messages(&self) -> Vec<ReceivedMessage> {
        self.inbox.lock().unwrap().clone()
    }

    /// Stops accepting and frees the port; a session already open may still finish.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn listen(port: u16, behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port))
            .unwrap_or_else(|e| panic!("test SMTP server cannot listen on 127.0.0.1:{port}: {e}"));
        let port = listener.local_addr().unwrap().port();
        let inbox = Inbox::default();
        let stopping = Arc::new(AtomicBool::new(false));
        let accept_loop = {
            let (inbox, stopping) = (inbox.clone(), stopping.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stopping.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let handler = SessionHandler::new(inbox.clone(), behaviour);
                    std::thread::spawn(move || serve_session(stream, handler));
                }
            })
        };
        TestSmtpServer { port, inbox, stopping, accept_loop: Some(accept_loop) }
    }

    fn shutdown(&mut self) {
        let Some(accept_loop) = self.accept_loop.take() else { return };
        self.stopping.store(true, Ordering::SeqCst);
        // The accept loop blocks in accept(): one last connection wakes it up to see the flag.
        let _ = TcpStream::connect_timeout(
            &SocketAddr::from((Ipv4Addr::LOCALHOST, self.port)),
            Duration::from_secs(1),
        );
        let _ = accept_loop.join();
    }
}

impl Drop for TestSmtpServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn serve_session(stream: TcpStream, handler: SessionHandler) {
    // A client that hangs must not keep this thread forever.
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let remote = stream.peer_addr().map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |a| a.ip());
    let Ok(mut writer) = stream.try_clone() else { return };
    let mut reader = BufReader::new(stream);
    let mut session = SessionBuilder::new("bloodplan-test-smtp").build(remote, handler);
    if session.greeting().write_to(&mut writer).is_err() {
        return;
    }
    let mut line = Vec::with_capacity(256);
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let response: Response = session.process(&line);
        match response.action {
            Action::NoReply => {}
            Action::Reply => {
                if response.write_to(&mut writer).and_then(|()| writer.flush()).is_err() {
                    return;
                }
            }
            // No TLS here: a client asking for STARTTLS is told goodbye like any closing reply.
            Action::Close | Action::UpgradeTls => {
                let _ = response.write_to(&mut writer).and_then(|()| writer.flush());
                return;
            }
        }
    }
}

/// One per connection, as mailin expects; the inbox is what the connections share.
struct SessionHandler {
    inbox: Inbox,
    behaviour: Behaviour,
    from: String,
    to: Vec<String>,
    raw: Vec<u8>,
}

impl SessionHandler {
    fn new(inbox: Inbox, behaviour: Behaviour) -> Self {
        SessionHandler { inbox, behaviour, from: String::new(), to: Vec::new(), raw: Vec::new() }
    }
}

impl Handler for SessionHandler {
    fn rcpt(&mut self, _to: &str) -> Response {
        match self.behaviour.reject_code {
            Some(code) => Response::custom(code, format!("test server rejects every recipient with {code}")),
            None => mailin::response::OK,
        }
    }

    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.from = strip_brackets(from);
        self.to = to.iter().map(|t| strip_brackets(t)).collect();
        self.raw.clear();
        mailin::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.raw.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        if let Some(delay) = self.behaviour.delay {
            std::thread::sleep(delay);
        }
        let raw = std::mem::take(&mut self.raw);
        let Ok(parsed) = mailparse::parse_mail(&raw) else {
            return Response::custom(554, "test server cannot parse the message".into());
        };
        let subject = parsed.headers.iter().find(|h| h.get_key().eq_ignore_ascii_case("Subject"));
        let message = ReceivedMessage {
            from: std::mem::take(&mut self.from),
            to: std::mem::take(&mut self.to),
            subject: subject.map(|h| h.get_value()).unwrap_or_default(),
            text: first_part(&parsed, "text/plain"),
            html: first_part(&parsed, "text/html"),
            raw,
        };
        self.inbox.lock().unwrap().push(message);
        mailin::response::OK
    }
}

fn strip_brackets(path: &str) -> String {
    path.trim().trim_start_matches('<').trim_end_matches('>').to_owned()
}

fn first_part(mail: &mailparse::ParsedMail<'_>, mimetype: &str) -> String {
    if mail.subparts.is_empty() {
        return if mail.ctype.mimetype.eq_ignore_ascii_case(mimetype) {
            mail.get_body().unwrap_or_default()
        } else {
            String::new()
        };
    }
    mail.subparts
        .iter()
        .map(|part| first_part(part, mimetype))
        .find(|body| !body.is_empty())
        .unwrap_or_default()
}
