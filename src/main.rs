use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use bloodplan::clock::Clock;
use bloodplan::config::Config;
use bloodplan::domain::auth::Role;
use bloodplan::services::accounts::{self, NewUser};
use bloodplan::services::audit::Performer;
use bloodplan::services::exports::{self, ExportFormat};
use bloodplan::services::fulfilment;
use bloodplan::services::plan_import::{self, ImportError, ImportOptions, ImportReport};
use bloodplan::startup::Application;

#[derive(Parser)]
#[command(
    name = "bloodplan",
    version,
    about = "Blood-donation quota planning and collection-vehicle scheduling"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the GraphQL API (migrates, and loads seeds/ into an empty database).
    Serve {
        /// Address to listen on [env: BLOODPLAN_BIND] [default: 127.0.0.1:8080]
        #[arg(long)]
        bind: Option<SocketAddr>,
    },
    /// Load a plan table: its folder, its plan.toml, or its units.csv.
    Import {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Treat warnings (such as a printed total that differs from the rows) as errors.
        #[arg(long)]
        strict: bool,
        /// Validate and report without writing anything.
        #[arg(long)]
        dry_run: bool,
        /// Import the rows as the plan of this year (roll last year's table forward).
        #[arg(long)]
        year: Option<i32>,
    },
    /// Manage accounts from the command line (the first office account is made here).
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Write a report for reporting upward.
    Export {
        #[command(subcommand)]
        what: ExportCommand,
    },
    /// Reminders: see what is due, or queue and send it now.
    Remind {
        #[command(subcommand)]
        command: RemindCommand,
    },
    /// Write the GraphQL SDL (default: schema/schema.graphql; "-" for standard output).
    ExportSchema {
        #[arg(long, default_value = "schema/schema.graphql")]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum ExportCommand {
    /// Every holder's fulfilment of a year's plan, as the office sends it upward.
    Fulfilment {
        #[arg(long)]
        year: i32,
        /// xlsx or csv
        #[arg(long, value_parser = parse_format)]
        format: ExportFormat,
        #[arg(long)]
        out: PathBuf,
        /// The figures as of this date (default today, or the year's last day once it is over).
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
    },
}

fn parse_format(text: &str) -> Result<ExportFormat, String> {
    ExportFormat::parse(text).ok_or_else(|| format!("unknown format {text}: expected xlsx or csv"))
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; the password is read from standard input.
    Add {
        #[arg(long)]
        username: String,
        /// office, liaison or station
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// The quota holder (id or exact name) a liaison acts for.
        #[arg(long)]
        unit: Option<String>,
        /// Read the password from standard input (its first line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum RemindCommand {
    /// Print the reminders that would be queued on a date, writing nothing.
    Preview {
        /// The day to plan for [default: today in Asia/Shanghai]
        #[arg(long)]
        date: Option<chrono::NaiveDate>,
    },
    /// Queue the reminders due now and send every message due (needs SMTP_URL to send).
    RunOnce,
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| format!("unknown role {text}: expected office, liaison or station"))
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn".into()),
        )
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve { bind } => {
            let mut config = Config::from_env()?;
            if let Some(bind) = bind {
                config.bind = bind;
            }
            let clock = config.now.map_or_else(Clock::system, Clock::starting_at);
            let app = Application::build(config, clock).await?;
            app.run_until_stopped().await.context("server failed")?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { paths, strict, dry_run, year } => {
            let config = Config::from_env()?;
            let table = match plan_import::read_plan(&paths, year) {
                Ok(table) => table,
                Err(problems) => return Ok(print_problems(&problems)),
            };
            let db = bloodplan::db::connect(&config.database_url).await?;
            bloodplan::db::migrate(&db).await?;
            let clock = config.now.map_or_else(Clock::system, Clock::starting_at);
            match plan_import::import_plan(
                &db,
                &clock,
                Performer::System("cli"),
                &table,
                ImportOptions { strict, dry_run },
            )
            .await
            {
                Ok(mut report) => {
                    let calendar = bloodplan::startup::load_holidays(&config.seeds_dir.join("holidays"))?;
                    report.warnings.extend(plan_import::work_calendar_warning(report.year, &calendar));
                    print_report(&report);
                    Ok(ExitCode::SUCCESS)
                }
                Err(ImportError::Invalid(problems)) => Ok(print_problems(&problems)),
                Err(e) => Err(e.into()),
            }
        }
        Command::User { command: UserCommand::Add { username, role, unit, password_stdin: _ } } => {
            let mut password = String::new();
            std::io::stdin().read_line(&mut password).context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']).to_owned();
            let config = Config::from_env()?;
            let db = bloodplan::db::connect(&config.database_url).await?;
            bloodplan::db::migrate(&db).await?;
            let clock = config.now.map_or_else(Clock::system, Clock::starting_at);
            let unit_id = match unit {
                Some(unit) => match accounts::find_unit_id(&db, &unit).await {
                    Ok(id) => Some(id),
                    Err(e) => {
                        eprintln!("error: {e}");
                        return Ok(ExitCode::FAILURE);
                    }
                },
                None => None,
            };
            let new = NewUser { username, password, role, unit_id };
            match accounts::create_user(&db, &clock, Performer::System("cli"), new).await {
                Ok(user) => {
                    println!("created {} user {} (id {})", user.role, user.username, user.id);
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Export { what: ExportCommand::Fulfilment { year, format, out, as_of } } => {
            let config = Config::from_env()?;
            let db = bloodplan::db::connect(&config.database_url).await?;
            bloodplan::db::migrate(&db).await?;
            let clock = config.now.map_or_else(Clock::system, Clock::starting_at);
            let as_of = as_of.unwrap_or_else(|| fulfilment::default_as_of(year, clock.today()));
            let report = match fulfilment::fulfilment(&db, year, as_of, config.behind_margin_points).await {
                Ok(report) => report,
                Err(e) => {
                    eprintln!("error: {e}");
                    return Ok(ExitCode::FAILURE);
                }
            };
            let body = exports::render(&report, format)?;
            std::fs::write(&out, body).with_context(|| format!("writing {}", out.display()))?;
            eprintln!(
                "wrote {} ({} 年, 统计截至 {as_of}, {} 个单位)",
                out.display(),
                year,
                report.units.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Remind { command } => remind(command).await,
        Command::ExportSchema { out } => {
            let sdl = bloodplan::graphql::sdl();
            if out.as_os_str() == "-" {
                print!("{sdl}");
            } else {
                std::fs::write(&out, sdl).with_context(|| format!("writing {}", out.display()))?;
                eprintln!("wrote {}", out.display());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Builds the application without serving, so the CLI plans with the same settings.
async fn remind(command: RemindCommand) -> anyhow::Result<ExitCode> {
    use bloodplan::services::{outbox, reminders};
    let mut config = Config::from_env()?;
    // Port 0: the CLI must not fight a running server for its port.
    config.bind = "127.0.0.1:0".parse()?;
    let clock = config.now.map_or_else(Clock::system, Clock::starting_at);
    let app = Application::build(config, clock.clone()).await?;
    let state = app.state();
    match command {
        RemindCommand::Preview { date } => {
            let day = date.unwrap_or_else(|| clock.today());
            let planned = reminders::plan_reminders(&state.db, &state.reminders, day).await?;
            println!("{day} 应发送的提醒 (预览, 未写入): {} 封", planned.len());
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
            let queued = reminders::enqueue_due(&state.db, &clock, &state.reminders).await?;
            println!("新加入发件箱: {queued} 封");
            match &state.mailer {
                Some(mailer) => {
                    let me = format!("cli-{}", std::process::id());
                    let r = outbox::run_once(&state.db, &clock, mailer, &state.outbox, &me).await?;
                    println!(
                        "已发送 {}, 稍后重试 {}, 失败 {}, 已撤销 {}",
                        r.sent, r.retrying, r.failed, r.cancelled
                    );
                }
                None => println!("未设置 SMTP_URL: 邮件留在发件箱中, 配置后再发送"),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_problems(problems: &[bloodplan::domain::plan_table::Problem]) -> ExitCode {
    eprintln!("导入失败, 未写入任何数据。共 {} 处问题:", problems.len());
    for p in problems {
        eprintln!("  - {p}");
    }
    ExitCode::FAILURE
}

fn print_report(r: &ImportReport) {
    let mode = if r.dry_run { "试导入 (--dry-run, 未写入)" } else { "已导入" };
    println!("{mode} {} 年计划: {} 行", r.year, r.rows);
    for (section, rows, printed) in &r.section_totals {
        match printed {
            Some(p) => println!("  {}: 各行合计 {rows}, 印刷合计 {p}", section.label_zh()),
            None => println!("  {}: 各行合计 {rows}", section.label_zh()),
        }
    }
    for w in &r.warnings {
        println!("  警告: {w}");
    }
    if !r.changed_anything() {
        println!("  与数据库中已有的计划相同, 未作任何修改");
        return;
    }
    if r.plan_created {
        println!("  新建计划年度 {}", r.year);
    }
    println!(
        "  新建单位 {}, 新增计划行 {}, 计划人数变更 {}, 其他修改 {}, 重新分类 {}",
        r.units_created.len(),
        r.quotas_added,
        r.quotas_changed.len(),
        r.rows_edited,
        r.units_reclassified.len()
    );
    for c in &r.quotas_changed {
        println!("    {}: {} → {}", c.name, c.from, c.to);
    }
    for name in &r.removed_from_plan {
        println!("  不再在本年度计划中 (已移除其本年度计划, 单位及其历史保留): {name}");
    }
}
