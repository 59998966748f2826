// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title ITraceRegistryV1
 * @notice The public surface of the first SenTrace registry (proof rules v1): Merkle roots of
 * event batches, lot milestones recorded one by one as logs, and recalls.
 *
 * Event details live off chain; the chain only holds fingerprints, so anyone holding an event,
 * its proof and an RPC endpoint can check a record without trusting the SenTrace server.
 */
interface ITraceRegistryV1 {
    /**
     * @notice A batch root was anchored.
     * @param root Merkle root of the batch (OpenZeppelin StandardMerkleTree, sorted pairs).
     * @param anchorer Account that sent the anchor.
     * @param eventCount Number of events (leaves) in the batch.
     * @param timestamp Block timestamp at which the root was stored.
     */
    event BatchAnchored(bytes32 indexed root, address indexed anchorer, uint32 eventCount, uint64 timestamp);

    /**
     * @notice A milestone of a lot (harvest, transfer, recall, ...) was recorded.
     * @dev Nothing is stored: the log itself is the record, listed by the indexed `lotKey`.
     * @param lotKey keccak256 of the NFC lot code.
     * @param kind Event type code (see EVENT_KIND_CODES in backend/models.py).
     * @param eventHash keccak256 of the canonical event document.
     * @param recorder Account that recorded the milestone.
     */
    event LotEventRecorded(bytes32 indexed lotKey, uint8 indexed kind, bytes32 eventHash, address recorder);

    /**
     * @notice A lot was recalled by a regulator.
     * @param lotKey keccak256 of the NFC lot code.
     * @param reasonHash keccak256 of the recall notice kept off chain.
     * @param regulator Account that recalled the lot.
     * @param timestamp Block timestamp of the recall.
     */
    event LotRecalled(bytes32 indexed lotKey, bytes32 reasonHash, address regulator, uint64 timestamp);

    /// @notice The admin given to the constructor is the zero address.
    error TraceRegistryZeroAdmin();

    /// @notice A batch root of zero was given.
    error TraceRegistryZeroRoot();

    /// @notice A batch of `root` claims to hold no events.
    error TraceRegistryZeroEventCount(bytes32 root);

    /// @notice `root` is already anchored (at `timestamp`); roots are write-once.
    error TraceRegistryRootAlreadyAnchored(bytes32 root, uint64 timestamp);

    /// @notice A lot key of zero was given.
    error TraceRegistryZeroLotKey();

    /// @notice An event hash of zero was given for `lotKey`.
    error TraceRegistryZeroEventHash(bytes32 lotKey);

    /// @notice A recall of `lotKey` was given a zero reason hash.
    error TraceRegistryZeroReasonHash(bytes32 lotKey);

    /// @notice `lotKey` is already recalled; a recall is final.
    error TraceRegistryLotAlreadyRecalled(bytes32 lotKey);

    /**
     * @notice Anchors the Merkle root of a batch of `eventCount` events.
     *
     * Requirements:
     * - the caller has `ANCHORER_ROLE`;
     * - `root` is not zero and not anchored yet;
     * - `eventCount` is not zero.
     *
     * Emits a {BatchAnchored} event.
     */
    function anchorBatch(bytes32 root, uint32 eventCount) external;

    /**
     * @notice When, by whom and for how many events `root` was anchored; all zero when it was not.
     */
    function anchorOf(bytes32 root) external view returns (uint64 timestamp, uint32 eventCount, address anchorer);

    /**
     * @notice Whether the event `eventHash` of lot `lotKey` is a leaf of the anchored batch `root`.
     * @dev The leaf is the OpenZeppelin StandardMerkleTree leaf for types ["bytes32","bytes32"].
     * Returns false for a root that is not anchored, whatever the proof.
     */
    function verify(
        bytes32[] calldata proof,
        bytes32 root,
        bytes32 lotKey,
        bytes32 eventHash
    ) external view returns (bool);

    /**
     * @notice Records one milestone of a lot as a log.
     *
     * Requirements:
     * - the caller has `RECORDER_ROLE`;
     * - `lotKey` and `eventHash` are not zero.
     *
     * Emits a {LotEventRecorded} event.
     */
    function recordLotEvent(bytes32 lotKey, uint8 kind, bytes32 eventHash) external;

    /**
     * @notice Recalls a lot; final.
     *
     * Requirements:
     * - the caller has `REGULATOR_ROLE`;
     * - `lotKey` and `reasonHash` are not zero;
     * - the lot is not recalled yet.
     *
     * Emits a {LotRecalled} event.
     */
    function recall(bytes32 lotKey, bytes32 reasonHash) external;

    /**
     * @notice Whether `lotKey` has been recalled.
     */
    function isRecalled(bytes32 lotKey) external view returns (bool);
}
