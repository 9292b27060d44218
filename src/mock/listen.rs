//! Binding, accepting connections and serving each over HTTP/1.1 with a header-read timeout:
//! what the mock and the proxy share.

use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// A listener bound to `addr`, and the address it got (the port the system chose, when
/// `addr` asks for port 0).
pub(crate) async fn bind(addr: SocketAddr) -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    Ok((listener, bound))
}

/// The next connection of `listener`, or `None` once `stopped` (or its sender is dropped). A
/// failed accept (out of file descriptors and the like) is logged as `who`'s and retried a
/// little later rather than in a spin.
pub(crate) async fn accept(
    listener: &TcpListener,
    stopped: &mut Pin<&mut oneshot::Receiver<()>>,
    who: &str,
) -> Option<TcpStream> {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => return Some(tcp),
                Err(e) => {
                    tracing::warn!(error = %e, "{who}: accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = stopped.as_mut() => return None,
        }
    }
}

/// An HTTP/1.1 connection server that closes a connection whose request head takes longer
/// than `header_read_timeout`.
pub(crate) fn http1(header_read_timeout: Duration) -> hyper::server::conn::http1::Builder {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    builder
}
