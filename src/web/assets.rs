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

/// GraphiQL for developers, from the embedded files. Its stylesheet inlines fonts as
/// `data:` URLs and React sets inline styles: it needs `style-src 'self' 'unsafe-inline'`
/// and `font-src 'self' data:`, but no inline script.
pub const GRAPHIQL_HTML: &str = r#"<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>bloodplan GraphiQL</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/graphiql.min.css">
<script src="/assets/react.production.min.js" defer></script>
<script src="/assets/react-dom.production.min.js" defer></script>
<script src="/assets/graphiql.min.js" defer></script>
<script src="/assets/graphiql-init.js" defer></script>
</head>
<body style="margin:0">
<div id="graphiql" style="height:100vh">GraphiQL 正在加载……</div>
</body>
</html>
"#;
