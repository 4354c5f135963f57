//! Every file the pages load, embedded in the binary: no request leaves for another host.
use poem::http::{header, StatusCode};
use poem::web::Path;
use poem::{handler, Response};

/// (name, content type, bytes). htmx 2.0.11, GraphiQL 3.9.0 with React 18.3.1 (UMD builds
/// from the npm registry, MIT licensed), and the app's own CSS and JS.
const FILES: &[(&str, &str, &[u8])] = &[
    ("app.css", "text/css; charset=utf-8", include_bytes!("assets/app.css")),
    ("app.js", "text/javascript; charset=utf-8", include_bytes!("assets/app.js")),
    ("favicon.svg", "image/svg+xml", include_bytes!("assets/favicon.svg")),
    ("htmx.min.js", "text/javascript; charset=utf-8", include_bytes!("assets/htmx.min.js")),
    ("graphiql.min.js", "text/javascript; charset=utf-8", include_bytes!("assets/graphiql.min.js")),
    ("graphiql.min.css", "text/css; charset=utf-8", include_bytes!("assets/graphiql.min.css")),
    ("graphiql-phone.css", "text/css; charset=utf-8", include_bytes!("assets/graphiql-phone.css")),
    ("graphiql-init.js", "text/javascript; charset=utf-8", include_bytes!("assets/graphiql-init.js")),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/react-dom.production.min.js"),
    ),
];

#[handler]
pub fn asset(Path(name): Path<String>) -> Response {
    match FILES.iter().find(|(n, _, _)| *n == name) {
        // Names are not fingerprinted, so a day's caching: a new release shows within a day.
        Some((_, content_type, bytes)) => Response::builder()
            .content_type(*content_type)
            .header(header::CACHE_CONTROL, "public, max-age=86400")
            .header("x-content-type-options", "nosniff")
            .body(*bytes),
        None => Response::builder().status(StatusCode::NOT_FOUND).body("not found"),
    }
}
