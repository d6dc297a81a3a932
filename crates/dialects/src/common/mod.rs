//! What every dialect shares, written once: JSON bodies parsed with the path of the offending field
//! ([`json`]), query parameters ([`query`]), the caller of the machine dialects authenticated by an access key
//! ([`caller`]) and request ids ([`request_id`]). A dialect renders their failures in its own envelope.

pub mod caller;
pub mod json;
pub mod query;
pub mod request_id;
