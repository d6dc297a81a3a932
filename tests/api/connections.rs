//! How connections are kept, from outside: bodies that trickle are cut off with a 408 in the dialect's
//! envelope, the HTTP layer's own error answers have a JSON body, the listen backlog is what the configuration says, and SIGTERM and SIGINT both drain: requests in
//! flight and requests racing the signal on kept-alive connections are answered, with `Connection: close`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::*;

/// One HTTP/1.1 response read off a raw connection: status, lower-cased headers, JSON body.
struct RawReply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

impl RawReply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Reads one response (with a `Content-Length` body) from `reader`.
fn read_reply(reader: &mut BufReader<TcpStream>) -> RawReply {
    let mut line = String::new();
    reader.read_line(&mut line).expect("status line");
    let status = line.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("status line {line:?}"));
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("header line");
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').expect("header");
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let length: usize =
        headers.iter().find(|(n, _)| n == "content-length").map_or(0, |(_, v)| v.parse().expect("content-length"));
    let mut body = vec![0; length];
    reader.read_exact(&mut body).expect("body");
    RawReply { status, headers, body: serde_json::from_slice(&body).unwrap_or(Value::Null) }
}

/// Sends a request head announcing a 64-byte JSON body, then only its first bytes; returns the reply, how long
/// it took, and whether the server closed the connection after it.
fn trickle(port: u16, method: &str, path: &str) -> (RawReply, Duration, bool) {
    let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let started = Instant::now();
    write!(
        writer,
        "{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 64\r\n\r\n{{\"na"
    )
    .unwrap();
    let mut reader = BufReader::new(stream);
    let reply = read_reply(&mut reader);
    let elapsed = started.elapsed();
    let mut rest = Vec::new();
    let closed = reader.read_to_end(&mut rest).is_ok() && rest.is_empty();
    (reply, elapsed, closed)
}

#[actix_web::test]
async fn a_body_that_trickles_is_cut_off_with_408_in_each_dialects_envelope() {
    let app = spawn_app_with(Kind::Sqlite, &[("BODY_READ_TIMEOUT_SECONDS", "1")]).await;
    let port: u16 = app.base.rsplit(':').next().unwrap().parse().unwrap();
    type Envelope = fn(&Value) -> bool;
    let cases: [(&str, &str, Envelope); 4] = [
        ("POST", "/console/api/login", |b| b["code"] == "request_timeout" && b["status"] == 408),
        ("POST", "/openapi/v1/accounts/", |b| b["errcode"] == 408 && b["data"].is_null()),
        ("POST", "/api/v1/account/add", |b| b["errorCode"] == "ft.RequestTimeout" && b["success"] == false),
        ("POST", "/iam/idp/v1/users", |b| b["code"] == 4 && b["details"][0]["reason"] == "bodyTimeout"),
    ];
    let replies = actix_web::rt::task::spawn_blocking(move || {
        cases.map(|(method, path, envelope)| (path, trickle(port, method, path), envelope))
    })
    .await
    .unwrap();
    for (path, (reply, elapsed, closed), envelope) in replies {
        assert_eq!(reply.status, 408, "{path}: {}", reply.body);
        assert!(envelope(&reply.body), "{path}: {}", reply.body);
        assert!(reply.header("x-request-id").is_some(), "{path}");
        assert_eq!(reply.header("connection"), Some("close"), "{path}");
        assert!(closed, "{path}: the connection closes after the 408");
        assert!(elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(4), "{path}: {elapsed:?}");
    }
    // a body that arrives in time is served as before
    assert_eq!(app.setup().await.status.as_u16(), 201);
}

/// Sends `bytes` on a new connection and reads the one answer.
fn exchange(port: u16, bytes: &[u8]) -> (RawReply, bool) {
    let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let _ = writer.write_all(bytes);
    let mut reader = BufReader::new(stream);
    let reply = read_reply(&mut reader);
    let mut rest = Vec::new();
    // a server closing on unread input resets the connection
    let closed = match reader.read_to_end(&mut rest) {
        Ok(_) => rest.is_empty(),
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
    };
    (reply, closed)
}

#[actix_web::test]
async fn answers_of_the_http_layer_itself_have_a_json_body() {
    let app = spawn_app(Kind::Sqlite).await;
    let port: u16 = app.base.rsplit(':').next().unwrap().parse().unwrap();
    let huge = format!("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n", "a".repeat(200 * 1024));
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("a request line that is not HTTP", b"HELLO THERE\r\n\r\n".to_vec(), 400, "bad_request"),
        (
            "a Content-Length that is not a number",
            b"POST /console/api/login HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n".to_vec(),
            400,
            "bad_request",
        ),
        ("a head over 128 KiB", huge.into_bytes(), 431, "request_header_fields_too_large"),
        ("a head that never ends", b"GET /healthz HTTP/1.1\r\nHost: x\r\n".to_vec(), 408, "request_timeout"),
    ];
    let replies = actix_web::rt::task::spawn_blocking(move || {
        let handles: Vec<_> = cases
            .into_iter()
            .map(|(what, bytes, status, code)| std::thread::spawn(move || (what, exchange(port, &bytes), status, code)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect::<Vec<_>>()
    })
    .await
    .unwrap();
    for (what, (reply, closed), status, code) in replies {
        assert_eq!(reply.status, status, "{what}: {}", reply.body);
        assert_eq!(reply.header("content-type"), Some("application/json"), "{what}");
        assert_eq!(
            (reply.body["code"].as_str(), reply.body["status"].as_u64()),
            (Some(code), Some(u64::from(status))),
            "{what}: {}",
            reply.body
        );
        assert!(reply.body["message"].as_str().is_some_and(|m| !m.is_empty()), "{what}");
        assert!(closed, "{what}: the connection closes");
    }
    // the server goes on as before
    assert_eq!(app.get("/healthz", None).await.status.as_u16(), 200);
}

#[actix_web::test]
async fn the_listen_backlog_is_configurable() {
    let app = spawn_app_with(Kind::Sqlite, &[("LISTEN_BACKLOG", "777")]).await;
    let port = app.base.rsplit(':').next().unwrap().to_owned();
    let out = Command::new("ss").args(["-ltnH", &format!("sport = :{port}")]).output().expect("ss (iproute2)");
    let listing = String::from_utf8_lossy(&out.stdout);
    // for a listening socket, ss shows the backlog in the Send-Q column
    let send_q: Vec<&str> = listing.lines().filter_map(|l| l.split_whitespace().nth(2)).collect();
    assert_eq!(send_q, ["777"], "{listing}");
}

/// `accountd serve` on a free port with its own data directory, and the port it listens on.
fn serve(
    dir: &std::path::Path,
    drain_secs: &str,
) -> (std::process::Child, u16, std::io::Lines<BufReader<std::process::ChildStdout>>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_accountd"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATA_DIR", dir)
        .env("BIND_ADDR", "127.0.0.1:0")
        .env("BCRYPT_COST", "4")
        .env("LOG_FORMAT", "json")
        .env("SHUTDOWN_DRAIN_SECONDS", drain_secs)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start accountd serve");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let port = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| {
            let v: Value = serde_json::from_str(&line).ok()?;
            (v["message"] == "accountd listening").then(|| v["port"].as_u64()).flatten()
        })
        .expect("listening line with the port");
    (child, u16::try_from(port).unwrap(), lines)
}

/// A kept-alive connection that has answered one request.
fn kept_alive(port: u16) -> BufReader<TcpStream> {
    let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut reader = BufReader::new(stream);
    reader.get_mut().write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let reply = read_reply(&mut reader);
    assert_eq!(reply.status, 200);
    assert_ne!(reply.header("connection"), Some("close"));
    reader
}

fn signal(child: &std::process::Child, name: &str) {
    assert!(Command::new("kill").args([&format!("-{name}"), &child.id().to_string()]).status().unwrap().success());
}

fn wait_for_exit(child: &mut std::process::Child, within: Duration) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(started.elapsed() < within, "no exit within {within:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Both signals drain the same way: kept-alive connections that send right after the signal are answered with
/// `Connection: close`, `/readyz` says the server is going, a request in flight at the signal is answered, and
/// the process exits cleanly once the drain is over.
#[test]
fn sigterm_and_sigint_both_drain_and_answer_every_request() {
    for name in ["TERM", "INT"] {
        let dir = std::env::temp_dir().join(format!("accountd-serve-{}", uuid::Uuid::new_v4().simple()));
        let (mut child, port, lines) = serve(&dir, "1");
        let mut idle: Vec<_> = (0..4).map(|_| kept_alive(port)).collect();
        // in flight: the head and half of a body are sent before the signal, the rest after it
        let mut in_flight = kept_alive(port);
        in_flight
            .get_mut()
            .write_all(b"POST /console/api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 45\r\n\r\n{\"email\":\"a@example.com\",")
            .unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let signalled = Instant::now();
        signal(&child, name);
        std::thread::sleep(Duration::from_millis(50));
        in_flight.get_mut().write_all(b"\"password\":\"secret12\"}").unwrap();
        let reply = read_reply(&mut in_flight);
        assert!(
            reply.status < 500 && reply.body.is_object(),
            "SIG{name}: the login in flight is answered: {}",
            reply.body
        );
        assert_eq!(reply.header("connection"), Some("close"), "SIG{name}");
        for (n, conn) in idle.iter_mut().enumerate() {
            let path = if n == 0 { "/readyz" } else { "/healthz" };
            conn.get_mut().write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes()).unwrap();
            let reply = read_reply(conn);
            let expected = if n == 0 { 503 } else { 200 };
            assert_eq!(reply.status, expected, "SIG{name} {path}: {}", reply.body);
            assert_eq!(reply.header("connection"), Some("close"), "SIG{name} {path}");
        }
        let status = wait_for_exit(&mut child, Duration::from_secs(8));
        assert!(status.success(), "SIG{name}: {status:?}");
        assert!(signalled.elapsed() >= Duration::from_secs(1), "SIG{name}: the drain lasted its second");
        let log: Vec<String> = lines.map_while(Result::ok).collect();
        assert!(log.iter().any(|l| l.contains("draining connections") && l.contains(&format!("SIG{name}"))), "{log:?}");
        assert!(log.iter().any(|l| l.contains("accountd stopped")), "{log:?}");
        assert!(dir.join("accountd.db").exists(), "the default database lives under DATA_DIR");
        let _ = std::fs::remove_dir_all(dir);
    }
}
