use std::process::ExitCode;

use bloodplan::config::Config;
use bloodplan::services::{outbox, reminders};
use bloodplan::state::AppState;

use crate::cli::RemindCommand;

/// Plans with the settings the server uses. A preview only reads: it neither migrates nor
/// seeds the database, nor binds a port.
pub async fn run(command: RemindCommand) -> anyhow::Result<ExitCode> {
    match command {
        RemindCommand::Preview { date } => {
            let state = AppState::open(&Config::from_env()?).await?;
            let day = date.unwrap_or_else(|| state.clock.today());
            let planned = reminders::plan_reminders(&state.db, &state.reminders, day).await?;
            println!("{day} 应发送的提醒 (预览，未写入)：{} 封", planned.len());
            for m in &planned {
                println!(
                    "  [{}] {} <{}>: {}",
                    m.dedup_key,
                    m.recipient_name.as_deref().unwrap_or(""),
                    m.recipient,
                    m.email.subject
                );
            }
        }
        RemindCommand::RunOnce => {
            let state = super::migrated_state().await?;
            let queued = reminders::enqueue_due(&state.db, &state.clock, &state.reminders).await?;
            println!("新加入发件箱：{queued} 封");
            match &state.mailer {
                Some(mailer) => {
                    let me = format!("cli-{}", std::process::id());
                    let r = outbox::run_once(&state.db, &state.clock, mailer, &state.outbox, &me).await?;
                    println!(
                        "已发送 {}，稍后重试 {}，失败 {}，已撤销 {}",
                        r.sent, r.retrying, r.failed, r.cancelled
                    );
                }
                None => println!("未设置 SMTP_URL：邮件留在发件箱中，配置后再发送"),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
