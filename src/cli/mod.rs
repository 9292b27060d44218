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

/// Resolves on Ctrl-C or (on Unix) SIGTERM. A signal that cannot be listened to is left out
/// rather than taken as a stop.
pub async fn stop_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            eprintln!("warning: cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    () = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(e) => {
                eprintln!("warning: cannot listen for SIGTERM: {e}");
                ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}
