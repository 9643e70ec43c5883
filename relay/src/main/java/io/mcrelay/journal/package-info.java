/**
 * The production journal: {@link io.mcrelay.journal.ChronicleJournal}, a Chronicle Queue of checksummed,
 * versioned entries ({@code JournalEntryCodec}). Its concerns are classes of their own: checking files before
 * Chronicle maps them ({@code CycleFileCheck}), refusing a newer mcrelay's journal before anything changes
 * ({@code SchemaProbe}), the open's scan and the search for the last entry of a kind ({@code JournalScan}), readers
 * ({@code ChronicleEntryReader}), damaged files moved aside and their valid prefix kept ({@code JournalSalvage}),
 * and old files deleted ({@code JournalRetention}). The payloads of the core's entries are decoded elsewhere
 * ({@code io.mcrelay.entries}); this package imports no core class.
 */
package io.mcrelay.journal;
