//! Request ids: taken from a well-formed incoming `X-Request-Id` or generated, stored in the request
//! extensions, echoed in the response header, and attached to every log line of the request.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpRequest};
use tracing::Instrument;

/// The header carrying the id.
pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the current request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

impl RequestId {
    /// The id stored on `req` (empty when the middleware did not run).
    pub fn of(req: &HttpRequest) -> String {
        req.extensions().get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default()
    }
}

fn acceptable(value: &HeaderValue) -> Option<String> {
    let s = value.to_str().ok()?;
    let ok = !s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    ok.then(|| s.to_owned())
}

/// Middleware: assigns the id, logs one line per request with status and latency.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id =
        req.headers().get(&HEADER).and_then(acceptable).unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.path());
    let started = Instant::now();
    let mut res = next.call(req).instrument(span.clone()).await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(HEADER, value);
    }
    // every dialect's 503 (a database that cannot be reached) tells the client when to try again
    let retry_after = actix_web::http::header::RETRY_AFTER;
    if res.status() == actix_web::http::StatusCode::SERVICE_UNAVAILABLE && !res.headers().contains_key(&retry_after) {
        res.headers_mut().insert(retry_after, HeaderValue::from_static(RETRY_AFTER_SECS));
    }
    let status = res.status().as_u16();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| tracing::info!(status, elapsed_ms, "handled"));
    Ok(res)
}

/// Seconds a client is asked to wait before retrying after a 503.
pub const RETRY_AFTER_SECS: &str = "1";

/// An error whose body names the request id (`traceId`, `request_id`).
pub trait TracedError: actix_web::ResponseError + 'static {
    /// The error response naming `request_id`.
    fn render_traced(&self, request_id: &str) -> actix_web::HttpResponse;
}

/// Middleware of a dialect's scope: renders the dialect's errors `E` again with the request id in the body.
pub async fn trace_errors<E: TracedError>(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, Error> {
    let res = next.call(req).await?;
    let rendered =
        res.response().error().and_then(|e| e.as_error::<E>()).map(|e| e.render_traced(&RequestId::of(res.request())));
    Ok(match rendered {
        Some(response) => res.into_response(response),
        None => res.map_into_boxed_body(),
    })
}
