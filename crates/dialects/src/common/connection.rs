//! How connections are kept: a deadline for request bodies, and closing connections while the server drains.
//!
//! Request heads must arrive within actix-web's client request timeout, but a body could trickle in for as long
//! as the client liked, holding a connection. Every body must arrive whole within the deadline
//! (`BODY_READ_TIMEOUT_SECONDS`); one that does not fails to read with [`is_body_expired`], which each dialect
//! answers with `408` in its own envelope, and the connection closes.
//!
//! Once the server begins to shut down ([`Draining`]), every response carries `Connection: close`, so that a
//! client's next request goes to a new connection (another instance) instead of racing the close of this one.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use actix_web::http::{ConnectionType, StatusCode};
use actix_web::middleware::Next;
use actix_web::rt::time::{sleep, Sleep};
use actix_web::web::{self, Bytes};
use actix_web::Error;
use futures_util::Stream;

use crate::AppState;

/// A request body that fails with a timed-out I/O error once its deadline passes.
struct DeadlinePayload {
    inner: Payload,
    deadline: Pin<Box<Sleep>>,
    expired: bool,
}

impl Stream for DeadlinePayload {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.expired {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = Pin::new(&mut self.inner).poll_next(cx) {
            return Poll::Ready(item);
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => {
                self.expired = true;
                let error =
                    std::io::Error::new(std::io::ErrorKind::TimedOut, "the request body did not arrive in time");
                Poll::Ready(Some(Err(PayloadError::Io(error))))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Whether a body read failed because the body missed its deadline.
pub fn is_body_expired(error: &Error) -> bool {
    matches!(error.as_error::<PayloadError>(), Some(PayloadError::Io(e)) if e.kind() == std::io::ErrorKind::TimedOut)
}

/// Whether the request announces a body.
fn has_body(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    headers.contains_key(TRANSFER_ENCODING)
        || headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).is_some_and(|v| v.trim() != "0")
}

/// Set once the server begins to shut down: responses close their connections and `/readyz` answers 503.
#[derive(Debug, Default)]
pub struct Draining(AtomicBool);

impl Draining {
    /// Begins draining.
    pub fn begin(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether the server is draining.
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Middleware: puts the deadline of [`AppState::body_read_timeout`] on the body of every request that has
/// one, counted from the moment its head was read; closes the connection after a `408` and while draining.
pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let timeout: Option<Duration> = state.as_ref().map(|state| state.body_read_timeout);
    if let Some(timeout) = timeout.filter(|_| has_body(&req)) {
        let (_, payload) = req.parts_mut();
        let inner = payload.take();
        let limited: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> =
            Box::pin(DeadlinePayload { inner, deadline: Box::pin(sleep(timeout)), expired: false });
        req.set_payload(Payload::from(limited));
    }
    let mut res = next.call(req).await?;
    if res.status() == StatusCode::REQUEST_TIMEOUT || state.is_some_and(|state| state.draining.is_set()) {
        res.response_mut().head_mut().set_connection_type(ConnectionType::Close);
    }
    Ok(res)
}
