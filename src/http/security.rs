//! Response headers a security review expects, and the client address behind a proxy.
use std::net::IpAddr;

use poem::http::HeaderValue;
use poem::{Request, Response};

/// The one Content-Security-Policy of every response, pages included: scripts, styles,
/// fonts and images only from this server (vendored and embedded, never inline, never a
/// CDN), requests only back to it, and no framing. Pages must therefore keep scripts and
/// styles in files under the server's own paths: an inline `<script>` or `style=""` is
/// refused by the browser.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; \
form-action 'self'; frame-ancestors 'none'";

/// GraphiQL's page only: its React components set inline styles and its bundled fonts are
/// `data:` URLs. Scripts stay `'self'`, and it may not be framed either.
pub const GRAPHIQL_CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; \
object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// `X-Content-Type-Options`, `Referrer-Policy` and `X-Frame-Options` on every response, and
/// [`CONTENT_SECURITY_POLICY`] unless the handler set a policy of its own (GraphiQL's).
/// `same-origin`: no address (calendar links carry their token) leaves for another site,
/// while same-origin form posts keep their `Origin`, which the pages' CSRF check needs.
pub fn add_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert("X-Content-Type-Options", HeaderValue::from_static("nosniff"));
    headers.insert("Referrer-Policy", HeaderValue::from_static("same-origin"));
    headers.insert("X-Frame-Options", HeaderValue::from_static("DENY"));
    if !headers.contains_key("Content-Security-Policy") {
        headers.insert("Content-Security-Policy", HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    }
    response
}

/// The client's address: the peer, or, when the peer is a trusted proxy, the last address
/// in `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_address(req: &Request, trusted_proxies: &[IpAddr]) -> String {
    let Some(peer) = req.remote_addr().as_socket_addr().map(|a| a.ip()) else {
        return "unknown".to_owned();
    };
    if !trusted_proxies.contains(&peer) {
        return peer.to_string();
    }
    let forwarded: Vec<IpAddr> = req
        .headers()
        .get_all("X-Forwarded-For")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    forwarded.into_iter().rev().find(|a| !trusted_proxies.contains(a)).unwrap_or(peer).to_string()
}
