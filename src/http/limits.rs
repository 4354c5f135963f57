//! Limits that keep slow or numerous clients from exhausting the server.
//!
//! poem closes a connection only when it is completely idle, so a client that sends its
//! headers a byte at a time (slowloris) would hold a connection, and a file descriptor, for
//! ever. [`GuardedAcceptor`] serves at most `max_connections` at once (the rest wait in the
//! kernel's listen queue) and closes any connection whose request line and headers have not
//! all arrived within `header_timeout`. Bodies and answers are bounded by the request timeout
//! in [`super::request_timeout`].
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use poem::http::uri::Scheme;
use poem::listener::Acceptor;
use poem::web::{LocalAddr, RemoteAddr};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Sleep;

pub struct GuardedAcceptor<A> {
    inner: A,
    slots: Arc<Semaphore>,
    header_timeout: Duration,
}

impl<A> GuardedAcceptor<A> {
    pub fn new(inner: A, max_connections: usize, header_timeout: Duration) -> Self {
        GuardedAcceptor { inner, slots: Arc::new(Semaphore::new(max_connections)), header_timeout }
    }
}

impl<A: Acceptor> Acceptor for GuardedAcceptor<A>
where
    A::Io: Unpin,
{
    type Io = GuardedIo<A::Io>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(&mut self) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        // Wait for a free slot before accepting: excess clients queue in the kernel.
        let permit = self.slots.clone().acquire_owned().await.map_err(io::Error::other)?;
        let (io, local, remote, scheme) = self.inner.accept().await?;
        Ok((GuardedIo::new(io, permit, self.header_timeout), local, remote, scheme))
    }
}

/// A connection that must deliver each request's head (up to the blank line) in time.
pub struct GuardedIo<T> {
    inner: T,
    _slot: OwnedSemaphorePermit,
    header_timeout: Duration,
    /// Armed while a request head is arriving.
    deadline: Option<Pin<Box<Sleep>>>,
    /// True between a response and the first byte of the next request.
    between_requests: bool,
    /// How much of `\r\n\r\n` the bytes read so far end with.
    matched: u8,
}

impl<T> GuardedIo<T> {
    fn new(inner: T, slot: OwnedSemaphorePermit, header_timeout: Duration) -> Self {
        GuardedIo {
            inner,
            _slot: slot,
            header_timeout,
            // The first request's head is due from the moment the connection is accepted.
            deadline: Some(Box::pin(tokio::time::sleep(header_timeout))),
            between_requests: false,
            matched: 0,
        }
    }

    /// The server is writing an answer: the next byte read starts the next request's head,
    /// and an idle kept-alive connection is left to poem's idle timeout.
    fn answering(&mut self) {
        self.deadline = None;
        self.between_requests = true;
    }

    fn scan(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.between_requests {
                self.between_requests = false;
                self.matched = 0;
                self.deadline = Some(Box::pin(tokio::time::sleep(self.header_timeout)));
            }
            if self.deadline.is_none() {
                continue;
            }
            let expected = if self.matched.is_multiple_of(2) { b'\r' } else { b'\n' };
            self.matched = if b == expected {
                self.matched + 1
            } else if b == b'\r' {
                1
            } else {
                0
            };
            if self.matched == 4 {
                // The head is complete; the body is bounded by the request timeout.
                self.deadline = None;
                self.matched = 0;
            }
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for GuardedIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if let Some(deadline) = this.deadline.as_mut() {
            if deadline.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the request head did not arrive in time",
                )));
            }
        }
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            let filled = buf.filled()[before..].to_vec();
            this.scan(&filled);
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for GuardedIo<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        self.answering();
        Pin::new(&mut self.inner).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.answering();
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_head_is_complete_at_the_blank_line() {
        let slot = Arc::new(Semaphore::new(1)).acquire_owned().await.unwrap();
        let mut io = GuardedIo::new((), slot, Duration::from_secs(1));
        io.scan(b"GET / HTTP/1.1\r\nHost: x\r\n");
        assert!(io.deadline.is_some());
        io.scan(b"\r");
        assert!(io.deadline.is_some());
        io.scan(b"\nbody");
        assert!(io.deadline.is_none());
        io.between_requests = true;
        io.scan(b"G");
        assert!(io.deadline.is_some(), "the next request's head is timed again");
    }
}
