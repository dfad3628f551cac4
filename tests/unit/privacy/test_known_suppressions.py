"""Suppression answers are kept while the list's epoch stands still, and asked again once it moves."""

from leadwire.privacy.known_suppressions import KnownSuppressions


class Source:
    def __init__(self):
        self.suppressed_ids = set()
        self.current_epoch = 0
        self.reads = []  # what was read: "epoch", or the ids asked

    def suppress(self, lead_id):
        self.suppressed_ids.add(lead_id)
        self.current_epoch += 1

    def unsuppress(self, lead_id):
        self.suppressed_ids.discard(lead_id)
        self.current_epoch += 1

    def epoch(self):
        self.reads.append("epoch")
        return self.current_epoch

    def is_suppressed(self, lead_id):
        self.reads.append([lead_id])
        return lead_id in self.suppressed_ids

    def suppressed(self, lead_ids):
        self.reads.append(sorted(lead_ids))
        return set(lead_ids) & self.suppressed_ids

    def count_dropped(self, lead_id, events):
        self.reads.append(("dropped", lead_id, events))


def test_a_round_reads_the_epoch_once_and_only_the_ids_it_does_not_know():
    source = Source()
    source.suppress("eve")
    known = KnownSuppressions(source)
    # Given a first round that asks about three ids, and a second that asks about them and one more
    assert known.suppressed(["ann", "bob", "eve"]) == {"eve"}
    round_two = known.round()
    answers = [round_two.is_suppressed(lead) for lead in ("ann", "eve", "cy", "bob")]
    # Then the second round read the epoch once and asked only about the new id
    assert answers == [False, True, False, False]
    assert source.reads == ["epoch", ["ann", "bob", "eve"], "epoch", ["cy"]]


def test_an_erasure_or_an_unsuppression_moves_the_epoch_and_every_answer_is_asked_again():
    source = Source()
    known = KnownSuppressions(source)
    assert known.suppressed(["ann", "bob"]) == set()
    # When ann is erased, her next round sees it
    source.suppress("ann")
    assert known.suppressed(["ann", "bob"]) == {"ann"}
    # and when she is unsuppressed, the one after sees that
    source.unsuppress("ann")
    assert known.round().is_suppressed("ann") is False
    assert source.reads == ["epoch", ["ann", "bob"], "epoch", ["ann", "bob"], "epoch", ["ann"]]


def test_a_round_without_questions_reads_nothing_and_a_full_cache_starts_again():
    source = Source()
    known = KnownSuppressions(source, max_known=2)
    assert known.suppressed([]) == set()
    assert source.reads == []
    known.suppressed(["a", "b"])
    known.suppressed(["c"])  # past the bound: the cache is emptied, then holds c
    known.suppressed(["a", "c"])
    assert source.reads == ["epoch", ["a", "b"], "epoch", ["c"], "epoch", ["a"]]


def test_dropped_counts_go_to_the_list():
    source = Source()
    KnownSuppressions(source).count_dropped("eve", 3)
    assert source.reads == [("dropped", "eve", 3)]
