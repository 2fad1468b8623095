package io.pgcaravan.work;

/** The one-line summary a stage leaves with its finished record (an exchange property the stage hooks read). */
public final class StageDetail {

    /** Exchange property a stage may set to a one-line summary shown with the finished stage. */
    public static final String PROPERTY = "CaravanStageDetail";

    private StageDetail() {
    }
}
