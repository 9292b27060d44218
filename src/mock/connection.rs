//! Connections the mock can cut: a listener whose streams carry a switch that a handler sets
//! to truncate its answer's body or to close without answering.
//!
//! hyper writes the answer; the stream lets through the head and as much of the body as the
//! switch allows, then fails the write, and hyper closes the connection. The client sees the
//! promised `Content-Length` and fewer bytes, or no answer at all.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

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
    /// An answer written in place of one of hyper's, and how much of it has gone out.
    replacing: Option<Replacing>,
}

/// hyper's empty answer to an unparsable request, being replaced by one with a body.
#[derive(Debug)]
struct Replacing {
    bytes: Vec<u8>,
    written: usize,
    /// How many bytes of hyper's write this stands for.
    consumed: usize,
}

impl CuttableStream {
    /// A stream that lets everything through until a handler says otherwise.
    pub fn new(inner: TcpStream) -> CuttableStream {
        CuttableStream {
            inner,
            cut: Cut::new(),
            replacing: None,
        }
    }

    /// The switch of this connection, for its handlers.
    pub fn cut(&self) -> Cut {
        self.cut.clone()
    }
}

/// hyper's answer to a request it cannot parse (a whole head, status 400, 414 or 431,
/// `content-length: 0`, nothing after it) rewritten with a section 4 body; `None` for any
/// other write. The handlers of the mock never send an empty non-2xx answer, so this only
/// catches hyper's.
fn section4_for_parse_error(buf: &[u8]) -> Option<Vec<u8>> {
    let (status, message) = if buf.starts_with(b"HTTP/1.1 400 ") {
        (400, "expected an HTTP/1.1 request, found one whose request line or headers cannot be parsed")
    } else if buf.starts_with(b"HTTP/1.1 414 ") {
        (
            414,
            "expected a request target of a readable length, found one too long",
        )
    } else if buf.starts_with(b"HTTP/1.1 431 ") {
        (
            431,
            "expected request headers of a readable size, found too many or too large",
        )
    } else {
        return None;
    };
    let head_end = memchr::memmem::find(buf, HEAD_END)?;
    if head_end + HEAD_END.len() != buf.len() {
        return None;
    }
    let head = std::str::from_utf8(&buf[..head_end]).ok()?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let mut headers: Vec<&str> = Vec::new();
    let mut empty = false;
    let mut closes = false;
    for line in lines {
        match line.split_once(':') {
            Some((name, value)) if name.eq_ignore_ascii_case("content-length") => {
                empty = value.trim() == "0";
            }
            Some((name, _)) => {
                closes |= name.eq_ignore_ascii_case("connection");
                headers.push(line);
            }
            None => headers.push(line),
        }
    }
    if !empty {
        return None;
    }
    let body = serde_json::json!({"error": {"message": message, "type": "invalid_request_error"}})
        .to_string();
    let mut out = format!("{status_line}\r\n");
    for line in headers {
        out.push_str(line);
        out.push_str("\r\n");
    }
    if !closes {
        out.push_str("connection: close\r\n");
    }
    out.push_str(&format!(
        "content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    ));
    tracing::debug!(
        status,
        "mock: answered an unparsable request with a section 4 body"
    );
    Some(out.into_bytes())
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
        if this.replacing.is_none() {
            if let Some(bytes) = section4_for_parse_error(buf) {
                this.replacing = Some(Replacing {
                    bytes,
                    written: 0,
                    consumed: buf.len(),
                });
            }
        }
        if let Some(replacing) = &mut this.replacing {
            while replacing.written < replacing.bytes.len() {
                let rest = &replacing.bytes[replacing.written..];
                match Pin::new(&mut this.inner).poll_write(cx, rest) {
                    Poll::Ready(Ok(0)) => {
                        return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                    }
                    Poll::Ready(Ok(n)) => replacing.written += n,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => return Poll::Pending,
                }
            }
            let consumed = replacing.consumed;
            this.replacing = None;
            return Poll::Ready(Ok(consumed));
        }
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
    fn hypers_empty_parse_error_answers_get_a_section_4_body() {
        let hyper = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: Thu, 01 Jan 2026 00:00:00 GMT\r\n\r\n";
        let out = section4_for_parse_error(hyper).expect("rewritten");
        let text = String::from_utf8(out).expect("utf8");
        let (head, body) = text.split_once("\r\n\r\n").expect("a head");
        assert!(head.starts_with("HTTP/1.1 431 "), "{head}");
        assert!(
            head.contains(&format!("content-length: {}", body.len())),
            "{head}"
        );
        assert!(head.contains("date: "), "{head}");
        let body: serde_json::Value = serde_json::from_str(body).expect("JSON");
        assert_eq!(body["error"]["type"], "invalid_request_error");
        for other in [
            &b"HTTP/1.1 400 Bad Request\r\ncontent-length: 20\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n{}",
        ] {
            assert!(section4_for_parse_error(other).is_none());
        }
    }

    #[test]
    fn a_dropped_answer_writes_nothing_and_an_intact_one_everything() {
        assert_eq!(Allowance::Nothing.of(b"HTTP/1.1 200 OK\r\n"), 0);
        assert_eq!(Allowance::Everything.of(b"HTTP/1.1 200 OK\r\n"), 17);
    }
}
