//! The command line: what each command takes. `src/commands/` runs them.
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use bloodplan::domain::auth::Role;
use bloodplan::services::exports::ExportFormat;

#[derive(Parser)]
#[command(
    name = "bloodplan",
    version,
    about = "Blood-donation quota planning and collection-vehicle scheduling"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
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
    /// Year plans: start a new year's draft from the last one.
    Plan {
        #[command(subcommand)]
        command: PlanCommand,
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
    /// Write a deterministic synthetic plan folder (plan.toml + units.csv) for benchmarks and
    /// demos; `bloodplan import DIR` loads it.
    Gen {
        #[arg(long)]
        cities: u32,
        #[arg(long)]
        units_per_city: u32,
        #[arg(long)]
        year: i32,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
        /// Also write a year of activity (vehicles.csv, activity.csv) that `bloodplan
        /// import-activity DIR` loads.
        #[arg(long)]
        activity: bool,
        /// With --activity: visits up to this day are done and collected, later ones booked
        /// [default: the year's last day]
        #[arg(long, requires = "activity")]
        as_of: Option<chrono::NaiveDate>,
    },
    /// Load the year of activity that `gen --activity` wrote into DIR (benchmarks and demos
    /// only): its plan must be imported, and the year must have no visit or record yet.
    ImportActivity { dir: PathBuf },
    /// Rebuild a year's kept totals (per holder and month: collected donations and volume,
    /// booked donors) from the collection records and visits, in one transaction, and print
    /// every figure that differed.
    Recount {
        #[arg(long)]
        year: i32,
    },
    /// Write the GraphQL SDL (default: schema/schema.graphql; "-" for standard output).
    ExportSchema {
        #[arg(long, default_value = "schema/schema.graphql")]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum PlanCommand {
    /// Write the draft of year TO from year FROM's plan (holders, quotas, printed totals,
    /// accepted breakdowns, term dates) as a plan folder for the office to edit and import.
    Copy {
        #[arg(long)]
        from: i32,
        #[arg(long)]
        to: i32,
        /// The folder to write [default: drafts/TO]
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum ExportCommand {
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
pub enum UserCommand {
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
pub enum RemindCommand {
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
