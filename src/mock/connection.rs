//! Connections the mock can cut: a listener whose streams carry a switch that a handler sets
//! to truncate its answer's body or to close without answering.
//!
//! hyper writes the answer; the stream lets through the head and as much of the body as the
//! switch allows, then fails the write, and hyper closes the connection. The client sees the
//! promised `Content-Length` and fewer bytes, or no answer at all.

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// The end of an HTTP head.
const HEAD_END: &[u8; 4] = b"\r\n\r\n";

/// What a connection may still write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Allowance {
    Everything,
    Nothing,
    /// The rest of the head, then `body` bytes of the body.
    Head {
        matched: usize,
        body: usize,
    },
    Body(usize),
}

impl Allowance {
    /// Lets one byte through, if allowed.
    fn admit(&mut self, byte: u8) -> bool {
        match self {
            Allowance::Everything => true,
            Allowance::Nothing | Allowance::Body(0) => false,
            Allowance::Body(left) => {
                *left -= 1;
                true
            }
            Allowance::Head { matched, body } => {
                *matched = if byte == HEAD_END[*matched] {
                    *matched + 1
                } else {
                    usize::from(byte == HEAD_END[0])
                };
                if *matched == HEAD_END.len() {
                    *self = Allowance::Body(*body);
                }
                true
            }
        }
    }

    /// How many leading bytes of `buf` may be written.
    fn of(mut self, buf: &[u8]) -> usize {
        buf.iter().take_while(|&&b| self.admit(b)).count()
    }
}

/// The switch of one connection, shared by its stream and its handlers.
#[derive(Clone, Debug)]
pub(crate) struct Cut(Arc<Mutex<Allowance>>);

impl Cut {
    fn new() -> Cut {
        Cut(Arc::new(Mutex::new(Allowance::Everything)))
    }

    fn allowance(&self) -> std::sync::MutexGuard<'_, Allowance> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next answer's head goes out, then only `body` bytes of its body.
    pub fn truncate_body(&self, body: usize) {
        *self.allowance() = Allowance::Head { matched: 0, body };
    }

    /// The next answer does not go out at all: the connection closes.
    pub fn drop_answer(&self) {
        *self.allowance() = Allowance::Nothing;
    }
}

/// A TCP stream whose writes pass through its connection's [`Cut`].
#[derive(Debug)]
pub(crate) struct CuttableStream {
    inner: TcpStream,
    cut: Cut,
}

impl AsyncRead for CuttableStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for CuttableStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let allowed = this.cut.allowance().of(buf);
        if allowed == 0 && !buf.is_empty() {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "the mock cut this connection (a scripted fault)",
            )));
        }
        let written = Pin::new(&mut this.inner).poll_write(cx, &buf[..allowed]);
        if let Poll::Ready(Ok(n)) = written {
            let mut allowance = this.cut.allowance();
            for &b in &buf[..n] {
                allowance.admit(b);
            }
        }
        written
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// A TCP listener handing out [`CuttableStream`]s.
#[derive(Debug)]
pub(crate) struct CuttableListener(pub TcpListener);

impl Listener for CuttableListener {
    type Io = CuttableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.0.accept().await {
                Ok((inner, addr)) => {
                    return (
                        CuttableStream {
                            inner,
                            cut: Cut::new(),
                        },
                        addr,
                    )
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "mock: accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

impl Connected<IncomingStream<'_, CuttableListener>> for Cut {
    fn connect_info(stream: IncomingStream<'_, CuttableListener>) -> Self {
        stream.io().cut.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_truncated_answer_keeps_its_head_and_part_of_its_body() {
        let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n0123456789";
        let head = answer.len() - 10;
        let mut allowance = Allowance::Head {
            matched: 0,
            body: 4,
        };
        assert_eq!(allowance.of(answer), head + 4);
        // Written in two pieces, split inside the head's end.
        let (first, rest) = answer.split_at(head - 2);
        for &b in first {
            assert!(allowance.admit(b));
        }
        assert_eq!(allowance.of(rest), 2 + 4);
    }

    #[test]
    fn a_dropped_answer_writes_nothing_and_an_intact_one_everything() {
        assert_eq!(Allowance::Nothing.of(b"HTTP/1.1 200 OK\r\n"), 0);
        assert_eq!(Allowance::Everything.of(b"HTTP/1.1 200 OK\r\n"), 17);
    }
}
