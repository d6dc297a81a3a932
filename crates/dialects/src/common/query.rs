//! Query-string parameters, read once per request; what they mean is the dialect's.

use std::collections::HashMap;
use std::ops::RangeInclusive;

use actix_web::{web, HttpRequest};
use domain::{DomainError, DomainResult};

/// Query parameters as strings, parsed by the handler.
pub struct QueryParams(pub HashMap<String, String>);

impl QueryParams {
    /// From the request's query string (an unparsable one counts as empty).
    pub fn of(req: &HttpRequest) -> Self {
        Self(
            web::Query::<HashMap<String, String>>::from_query(req.query_string())
                .map(|q| q.into_inner())
                .unwrap_or_default(),
        )
    }

    /// An optional parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// An integer parameter within `range`, `default` when absent or empty.
    ///
    /// # Errors
    /// [`DomainError::OutOfRange`] naming it when not an integer or outside the range.
    pub fn int_in(&self, name: &'static str, range: RangeInclusive<i64>, default: i64) -> DomainResult<i64> {
        let Some(raw) = self.get(name).map(str::trim).filter(|v| !v.is_empty()) else { return Ok(default) };
        raw.parse::<i64>().ok().filter(|v| range.contains(v)).ok_or_else(|| DomainError::OutOfRange {
            field: name,
            min: *range.start(),
            max: *range.end(),
            value: raw.to_owned(),
        })
    }
}
