package io.pgcaravan.stage.pipeline;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which indexes and keys go with their tables' data, from what pg_restore 15 prints of the shop dump. */
class PostDataPlanTest {

    /** pg_restore --list of the shop (customers, orders, a partitioned table, a trigger), abridged. */
    private static final List<String> TOC = List.of(
            "217; 1259 90123 TABLE public customers caravan_admin",
            "219; 1259 90142 TABLE public orders caravan_admin",
            "230; 1259 90300 TABLE public measurements caravan_admin",
            "231; 1259 90310 TABLE public measurements_2026 caravan_admin",
            "3387; 0 90123 TABLE DATA public customers caravan_admin",
            "3389; 0 90142 TABLE DATA public orders caravan_admin",
            "3392; 0 90310 TABLE DATA public measurements_2026 caravan_admin",
            "3225; 2606 90129 CONSTRAINT public customers customers_pkey caravan_admin",
            "3232; 2606 90148 CONSTRAINT public orders orders_pkey caravan_admin",
            "3229; 1259 90189 INDEX public orders_customer caravan_admin",
            "3240; 2606 90149 FK CONSTRAINT public orders orders_customer_id_fkey caravan_admin",
            "3250; 1259 90320 INDEX public measurements_at caravan_admin",
            "3251; 1259 90321 INDEX public measurements_2026_at caravan_admin",
            "3252; 0 0 INDEX ATTACH public measurements_2026_at caravan_admin",
            "3260; 2620 90330 TRIGGER public orders orders_audit caravan_admin",
            "3270; 2606 90340 FK CONSTRAINT public measurements measurements_customer_fkey caravan_admin");

    private static final Set<String> PRE = Set.of("217", "219", "230", "231");

    /** The comment lines of pg_restore --verbose --section=post-data (what each entry depends on). */
    private static final List<String> SCRIPT = List.of(
            "-- TOC entry 3225 (class 2606 OID 90129)", "-- Dependencies: 217",
            "-- Name: customers customers_pkey; Type: CONSTRAINT; Schema: public; Owner: caravan_admin",
            "-- TOC entry 3232 (class 2606 OID 90148)", "-- Dependencies: 219",
            "-- Name: orders orders_pkey; Type: CONSTRAINT; Schema: public; Owner: caravan_admin",
            "-- TOC entry 3229 (class 1259 OID 90189)", "-- Dependencies: 219 219",
            "-- Name: orders_customer; Type: INDEX; Schema: public; Owner: caravan_admin",
            "-- TOC entry 3240 (class 2606 OID 90149)", "-- Dependencies: 217 219 3225",
            "-- Name: orders orders_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: caravan_admin",
            "-- TOC entry 3250 (class 1259 OID 90320)", "-- Dependencies: 230",
            "-- TOC entry 3251 (class 1259 OID 90321)", "-- Dependencies: 231",
            "-- TOC entry 3252 (class 0 OID 0)", "-- Dependencies: 3250 3251",
            "-- TOC entry 3260 (class 2620 OID 90330)", "-- Dependencies: 219",
            "-- TOC entry 3270 (class 2606 OID 90340)", "-- Dependencies: 230 217 3225",
            // an entry without dependencies (none printed) is not taken early
            "-- TOC entry 3299 (class 1259 OID 90999)", "-- Name: odd; Type: INDEX; Schema: public; Owner: caravan_admin");

    private final PostDataPlan plan = PostDataPlan.of(TOC, PRE, SCRIPT);

    @Test
    void onlyIndexesAndKeysWithTheirDependenciesAreTakenEarly() {
        // not the partition's index attachment, nor the trigger, nor an entry whose dependencies are not printed
        assertEquals(List.of("3225", "3232", "3229", "3240", "3250", "3251", "3270"), plan.ids());
        assertEquals(7, plan.size());
    }

    @Test
    void aTablesIndexesGoWithItsDataAndAForeignKeyWaitsForBothEndsAndTheKeyItReferences() {
        Set<String> none = Set.of();
        // nothing loaded: only the index on the partitioned parent, which holds no data of its own
        assertEquals(Set.of("3250"), plan.ready(none, none, none, false).keySet());
        // orders in: its key and index
        assertEquals(Set.of("3232", "3229", "3250"), plan.ready(Set.of("3389"), none, none, false).keySet());
        // not what is being built elsewhere
        assertEquals(Set.of("3229"), plan.ready(Set.of("3389"), none, Set.of("3232", "3250"), false).keySet());
        // the foreign key not before customers is in and its key built
        assertTrue(plan.ready(Set.of("3389"), Set.of("3232", "3229", "3250"), none, true).isEmpty());
        assertTrue(plan.ready(Set.of("3389", "3387"), Set.of("3232", "3229", "3250"), none, true).isEmpty());
        assertEquals(Set.of("3240"), plan.ready(Set.of("3389", "3387"), Set.of("3232", "3229", "3250", "3225"), none, true).keySet());
        // not the foreign key of the partitioned table: pg_dump adds it to every partition at once
        assertEquals(Set.of("3240"), plan.ready(Set.of("3389", "3387", "3392"), Set.of("3232", "3229", "3250", "3225", "3251"), none, true).keySet());
        // foreign keys only with foreign keys
        assertEquals(Set.of("3225"), plan.ready(Set.of("3389", "3387"), Set.of("3232", "3229", "3250"), none, false).keySet());
        // nothing is built twice
        assertTrue(plan.ready(Set.of("3389", "3387", "3392"), Set.of("3232", "3229", "3250", "3225", "3240", "3251"), none, false).isEmpty());
        assertTrue(plan.ready(Set.of("3389", "3387", "3392"), Set.of("3232", "3229", "3250", "3225", "3240", "3251"), none, true).isEmpty());
        // the lines are the TOC's
        assertEquals("3251; 1259 90321 INDEX public measurements_2026_at caravan_admin",
                plan.ready(Set.of("3392"), Set.of("3250"), none, false).get("3251"));
    }

    @Test
    void readyForeignKeysAreSharedOverTheLanesWithNoTableInTwo() {
        // three foreign keys: a->b, c->d, b->c (ids as the TOC's; tables 1..4)
        List<String> toc = List.of("1; 1259 1 TABLE public a o", "2; 1259 2 TABLE public b o", "3; 1259 3 TABLE public c o",
                "4; 1259 4 TABLE public d o", "11; 2606 11 FK CONSTRAINT public a a_fk o", "12; 2606 12 FK CONSTRAINT public c c_fk o",
                "13; 2606 13 FK CONSTRAINT public b b_fk o");
        PostDataPlan fks = PostDataPlan.of(toc, Set.of("1", "2", "3", "4"), List.of(
                "-- TOC entry 11 (class 2606 OID 11)", "-- Dependencies: 1 2",
                "-- TOC entry 12 (class 2606 OID 12)", "-- Dependencies: 3 4",
                "-- TOC entry 13 (class 2606 OID 13)", "-- Dependencies: 2 3"));
        assertEquals(Set.of("1", "2"), fks.tablesOf("11"));
        // two lanes: a->b and c->d side by side; b->c shares a table with each, so it waits
        assertEquals(List.of(Set.of("11"), Set.of("12")), fks.shareForeignKeys(List.of("11", "12", "13"), Set.of(), 2));
        // one lane: all three, one after the other
        assertEquals(List.of(Set.of("11", "12", "13")), fks.shareForeignKeys(List.of("11", "12", "13"), Set.of(), 1));
        // nothing on a table a running lane locks
        assertEquals(List.of(Set.of("12")), fks.shareForeignKeys(List.of("11", "12"), Set.of("2"), 2));
        assertTrue(fks.shareForeignKeys(List.of("11"), Set.of(), 0).isEmpty());
        // b->c first: a->b and c->d each share a table with it, so all go in its lane
        assertEquals(List.of(Set.of("13", "11", "12")), fks.shareForeignKeys(List.of("13", "11", "12"), Set.of(), 2));
    }

    @Test
    void theJournalTellsTheDataFromTheIndexesBuiltWithIt(@TempDir Path work) throws Exception {
        PipelineJournal journal = PipelineJournal.of(work);
        journal.reset();
        journal.note("begin pre-data");
        journal.note("end pre-data");
        journal.note("begin data 3389 post 3232 3229");
        journal.note("end data 3389 post 3232 3229");
        journal.note("begin data 3387");
        journal.note("end data 3387");
        journal.note("begin data 3392 post 3251");
        assertEquals(Set.of("3389", "3387"), journal.restoredData());
        assertEquals(Set.of("3232", "3229"), journal.restoredPost());
        assertTrue(!journal.clean());
    }
}
