//! Bodies for the answers of the HTTP/1 layer itself. A malformed request line or `Content-Length` (400), a
//! request head larger than the parser allows (431) and a head that does not arrive in time (408) are answered by
//! actix-http before any route, dialect or middleware sees the request, with an empty body and no hook to give
//! them one. [`ProtocolErrorBodies`] wraps each connection and, when such an empty answer is written, writes it
//! with a JSON body in the console's envelope instead (no dialect is known yet), so that no answer of the
//! server is bodiless. Everything else passes through untouched.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The empty answers of the HTTP/1 layer, by their status line, with the body each gets.
const ANSWERS: [(&[u8], &str); 3] = [
    (
        b"HTTP/1.1 400 Bad Request\r\n",
        r#"{"code":"bad_request","message":"The request is not valid HTTP/1.1: check the request line, the headers and Content-Length.","status":400}"#,
    ),
    (
        b"HTTP/1.1 431 Request Header Fields Too Large\r\n",
        r#"{"code":"request_header_fields_too_large","message":"The request head is larger than the 128 KiB allowed.","status":431}"#,
    ),
    (
        b"HTTP/1.1 408 Request Timeout\r\n",
        r#"{"code":"request_timeout","message":"The request head did not arrive within 5 seconds.","status":408}"#,
    ),
];

/// The same answer with `body`, when `written` is exactly one empty-bodied answer of [`ANSWERS`].
fn with_body(written: &[u8]) -> Option<Vec<u8>> {
    let (status_line, body) = ANSWERS.iter().find(|(line, _)| written.starts_with(line))?;
    let head_end = written.windows(4).position(|w| w == b"\r\n\r\n")?;
    if head_end + 4 != written.len() {
        return None;
    }
    let head = &written[status_line.len()..head_end + 2];
    let mut headers = Vec::new();
    let mut empty = false;
    for line in head.split_inclusive(|b| *b == b'\n') {
        if line.eq_ignore_ascii_case(b"content-length: 0\r\n") {
            empty = true;
        } else {
            headers.extend_from_slice(line);
        }
    }
    if !empty {
        return None;
    }
    let mut answer = Vec::with_capacity(written.len() + body.len() + 64);
    answer.extend_from_slice(status_line);
    answer.extend_from_slice(b"content-type: application/json\r\n");
    answer.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
    answer.extend_from_slice(&headers);
    answer.extend_from_slice(b"\r\n");
    answer.extend_from_slice(body.as_bytes());
    Some(answer)
}

/// A connection whose empty protocol-level error answers get a body (see the module documentation).
#[derive(Debug)]
pub struct ProtocolErrorBodies<T> {
    io: T,
    /// An answer taken over from the HTTP layer and how much of it is written.
    pending: Option<(Vec<u8>, usize)>,
}

impl<T> ProtocolErrorBodies<T> {
    /// Wraps a connection.
    pub fn new(io: T) -> Self {
        Self { io, pending: None }
    }
}

impl<T: AsyncWrite + Unpin> ProtocolErrorBodies<T> {
    /// Writes what was taken over, before anything else.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, written)) = &mut self.pending {
            if *written == bytes.len() {
                self.pending = None;
                break;
            }
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, &bytes[*written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += n;
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for ProtocolErrorBodies<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for ProtocolErrorBodies<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        ready!(self.poll_pending(cx))?;
        if let Some(answer) = with_body(buf) {
            self.pending = Some((answer, 0));
            // taken over: it is written here, now or at the next flush
            return match self.poll_pending(cx) {
                Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                _ => Poll::Ready(Ok(buf.len())),
            };
        }
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_protocol_error_gets_its_body_and_keeps_its_headers() {
        let written = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\ndate: x\r\n\r\n";
        let answer = String::from_utf8(with_body(written).unwrap()).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n"), "{head}");
        assert!(head.contains(&format!("content-length: {}", body.len())), "{head}");
        assert!(head.contains("connection: close") && head.contains("date: x"), "{head}");
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!((json["code"].as_str(), json["status"].as_u64()), (Some("bad_request"), Some(400)));
    }

    #[test]
    fn anything_else_passes_untouched() {
        for written in [
            &b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"[..],
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 12\r\n\r\n{\"code\":\"x\"}",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\nHTTP/1.1 200 OK\r\n",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n",
        ] {
            assert_eq!(with_body(written), None, "{}", String::from_utf8_lossy(written));
        }
    }
}
