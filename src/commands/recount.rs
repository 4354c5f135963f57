use std::process::ExitCode;

use bloodplan::services::totals;

/// Rebuilds a year's kept totals from the rows; prints one line per figure that differed.
pub async fn run(year: i32) -> anyhow::Result<ExitCode> {
    let state = super::migrated_state().await?;
    let differences = match totals::recount(&state.db, year).await {
        Ok(differences) => differences,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    for d in &differences {
        let sub_unit = match &d.sub_unit {
            Some((id, name)) => format!(" / {name} (sub-unit #{id})"),
            None => String::new(),
        };
        println!(
            "{} (#{}){sub_unit} {year}-{:02} {}: kept {}, counted {}",
            d.unit_name, d.unit_id, d.month, d.field, d.kept, d.counted
        );
    }
    if differences.is_empty() {
        eprintln!("{year}: the kept totals match the records and visits");
    } else {
        eprintln!(
            "{year}: {} figures differed; the totals were rebuilt from the records and visits",
            differences.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}
