//! A real SMTP server for the tests: `tests/support/smtp_sink.py` (aiosmtpd) on a loopback port. Mails are
//! read back as the sink decoded them, never from the database.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/smtp_sink.py");

/// A free loopback port (nothing listens on it once this returns).
///
/// The port is picked below Linux's ephemeral range (32768–60999): a port the kernel handed out for `:0` could be
/// handed out again, as the local port of some other test's outgoing connection, before the process meant to
/// listen on it binds it.
pub fn free_port() -> u16 {
    loop {
        let port = 20_000 + (uuid::Uuid::new_v4().as_u128() % 12_000) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// A running SMTP sink; stopped when dropped.
pub struct SmtpSink {
    pub port: u16,
    dir: PathBuf,
    child: Child,
}

impl SmtpSink {
    /// A sink on a free port.
    pub fn start() -> Self {
        Self::start_on(free_port())
    }

    /// A sink on `port`.
    pub fn start_on(port: u16) -> Self {
        let dir = std::env::temp_dir().join(format!("accountd-smtp-{}", uuid::Uuid::new_v4().simple()));
        let mut child = Command::new("python3")
            .arg(SCRIPT)
            .arg(port.to_string())
            .arg(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs");
        let mut line = String::new();
        let _ = BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line);
        assert_eq!(
            line.trim(),
            "ready",
            "the SMTP sink did not start; it needs Python's aiosmtpd (`python3 -m pip install aiosmtpd` or \
             `apt-get install python3-aiosmtpd`)"
        );
        Self { port, dir, child }
    }

    /// `SMTP_URL` for this sink.
    pub fn url(&self) -> String {
        smtp_url(self.port)
    }

    /// Every message received so far, in arrival order.
    pub fn messages(&self) -> Vec<Value> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        names.retain(|p| p.extension().is_some_and(|e| e == "json"));
        names.sort();
        names.iter().map(|p| serde_json::from_slice(&std::fs::read(p).expect("read mail")).expect("json")).collect()
    }

    /// The messages to `to`.
    pub fn messages_to(&self, to: &str) -> Vec<Value> {
        self.messages()
            .into_iter()
            .filter(|m| m["rcpt_tos"].as_array().is_some_and(|r| r.iter().any(|a| a == to)))
            .collect()
    }

    /// Waits (up to 20 s) until `count` messages to `to` arrived; returns them.
    pub async fn wait_for(&self, to: &str, count: usize) -> Vec<Value> {
        for _ in 0..400 {
            let found = self.messages_to(to);
            if found.len() >= count {
                return found;
            }
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{count} mail(s) to {to} did not arrive; got {:?}", self.messages());
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `SMTP_URL` for a port.
pub fn smtp_url(port: u16) -> String {
    format!("smtp://127.0.0.1:{port}")
}

/// The six-digit code in a mail's plain-text part.
#[track_caller]
pub fn code_in(mail: &Value) -> String {
    let text = mail["text"].as_str().expect("plain-text part");
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap_or_else(|| panic!("no code in {text:?}"))
        .to_owned()
}
