//! `GET /`: a new user finds what answers here.

use awc::http::StatusCode;

use crate::helpers::*;
use crate::http_test;

http_test! {
    async fn the_root_says_what_answers_here(kind) {
        let app = spawn_app(kind).await;
        let r = app.get("/", None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["service"], "accountd");
        assert_eq!(r.body["dialects"]["console"], "/console/api");
        // every path it names answers
        for path in ["/healthz", "/readyz"] {
            assert_eq!(r.body["health"].as_object().unwrap().values().filter(|v| *v == path).count(), 1, "{path}");
            assert_eq!(app.get(path, None).await.status, StatusCode::OK, "{path}");
        }
        assert_eq!(app.get("/console/api/setup", None).await.status, StatusCode::OK);
    }
}
