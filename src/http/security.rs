//! Response headers a security review expects, and the client address behind a proxy.
use std::net::IpAddr;

use poem::http::HeaderValue;
use poem::middleware::SetHeader;
use poem::Request;

/// The one Content-Security-Policy of every response, pages included: scripts, styles,
/// fonts and images only from this server (vendored and embedded, never inline, never a
/// CDN), requests only back to it, and no framing. Pages must therefore keep scripts and
/// styles in files under the server's own paths: an inline `<script>` or `style=""` is
/// refused by the browser.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; \
form-action 'self'; frame-ancestors 'none'";

/// `X-Content-Type-Options`, the CSP, `Referrer-Policy` and `X-Frame-Options` on every
/// response. `no-referrer` because calendar links carry their token in the path.
pub fn headers() -> SetHeader {
    SetHeader::new()
        .overriding("X-Content-Type-Options", HeaderValue::from_static("nosniff"))
        .overriding("Content-Security-Policy", HeaderValue::from_static(CONTENT_SECURITY_POLICY))
        .overriding("Referrer-Policy", HeaderValue::from_static("no-referrer"))
        .overriding("X-Frame-Options", HeaderValue::from_static("DENY"))
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
