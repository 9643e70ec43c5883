package io.mcrelay.sim.seams;

import io.mcrelay.seam.Journal;
import io.mcrelay.seam.JournalContract;

/** The in-memory journal keeps the {@link Journal} contract. */
class InMemoryJournalTest extends JournalContract {
    @Override
    protected Journal createJournal() {
        return new InMemoryJournal(100);
    }
}
