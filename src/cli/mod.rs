//! The command line: argument parsing and output formats only; the work is the library's.

pub mod format;
pub mod progress;
pub mod proxy;
pub mod schema;
pub mod secret;
pub mod serve;
pub mod task;
pub mod validate;

/// Runs `work` to its end on an async runtime (several threads, or the calling one), or says
/// on stderr why no runtime could start and gives `code`.
pub fn block_on<T>(
    multi_thread: bool,
    code: u8,
    work: impl std::future::Future<Output = T>,
) -> Result<T, std::process::ExitCode> {
    let mut builder = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    match builder.enable_all().build() {
        Ok(runtime) => Ok(runtime.block_on(work)),
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            Err(std::process::ExitCode::from(code))
        }
    }
}

/// Listens for Ctrl-C and (on Unix) SIGTERM; the future resolves at the first of them. On
/// Unix the handlers are installed when it is called (inside the async runtime), elsewhere
/// when the future is first polled. Call it before telling anyone the process is ready
/// (`listening on ...`): a signal sent in between then stops the process cleanly rather than
/// killing it. A signal that cannot be listened to is left out rather than taken as a stop.
pub fn stop_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let listen = |kind: SignalKind, name: &str| {
            signal(kind)
                .inspect_err(|e| eprintln!("warning: cannot listen for {name}: {e}"))
                .ok()
        };
        let (interrupt, terminate) = (
            listen(SignalKind::interrupt(), "Ctrl-C"),
            listen(SignalKind::terminate(), "SIGTERM"),
        );
        async move {
            let received = |signal: Option<tokio::signal::unix::Signal>| async move {
                match signal {
                    Some(mut signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = received(interrupt) => {}
                () = received(terminate) => {}
            }
        }
    }
    #[cfg(not(unix))]
    async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            eprintln!("warning: cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    }
}
