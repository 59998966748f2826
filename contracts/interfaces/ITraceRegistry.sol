// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title ITraceRegistry
 * @notice The public surface of the SenTrace registry (proof rules v2): Merkle roots of event
 * batches, the root of the lot heads map that moves with them, lot milestones recorded one by
 * one as logs, and recalls.
 *
 * Event details live off chain; the chain only holds fingerprints, so anyone holding an event,
 * its proof and an RPC endpoint can check a record without trusting the SenTrace server. The
 * heads root commits to every lot's newest anchored event, so a verifier can also prove that no
 * event of a lot is missing (docs/proof-rules.md).
 *
 * Writes need a role (`ANCHORER_ROLE`, `RECORDER_ROLE`, `REGULATOR_ROLE`, held by the operator)
 * and stop while the registry is paused (OpenZeppelin `Pausable`: `paused()`, the `Paused` and
 * `Unpaused` events, the `EnforcedPause()` error); reads never need a role and never stop.
 */
interface ITraceRegistry {
    /**
     * @notice A batch root was anchored and the heads root moved to `headsRoot`.
     * @dev Kept small because every batch pays for it: the anchoring time is the block's, the
     * anchorer is stored by {anchorOf}, and the previous heads root is the `headsRoot` of the
     * log before this one (the contract makes heads roots one linear history), so the logs and
     * their blocks are enough to rebuild the whole history.
     * @param root Merkle root of the batch (OpenZeppelin StandardMerkleTree, sorted pairs).
     * @param headsRoot Root of the lot heads map after this batch (may equal the previous one).
     * @param eventCount Number of events (leaves) in the batch.
     */
    event BatchAnchored(bytes32 indexed root, bytes32 indexed headsRoot, uint32 eventCount);

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

    /**
     * @notice The operator given to the constructor is the zero address. (A zero admin is
     * refused by OpenZeppelin's `AccessControlInvalidDefaultAdmin(address(0))`.)
     */
    error TraceRegistryZeroOperator();

    /// @notice A batch root of zero was given.
    error TraceRegistryZeroRoot();

    /// @notice A batch of `root` claims to hold no events.
    error TraceRegistryZeroEventCount(bytes32 root);

    /// @notice `root` is already anchored (at `timestamp`); roots are write-once.
    error TraceRegistryRootAlreadyAnchored(bytes32 root, uint64 timestamp);

    /**
     * @notice An anchor was sent against the heads root `prevHeadsRoot`, but the registry's
     * current heads root is `currentHeadsRoot`: someone anchored in between, or the sender's
     * view of the map is stale. Heads roots form one linear history, so the batch must be
     * rebuilt on the current root, not resent.
     */
    error TraceRegistryStaleHeadsRoot(bytes32 prevHeadsRoot, bytes32 currentHeadsRoot);

    /// @notice A lot key of zero was given.
    error TraceRegistryZeroLotKey();

    /// @notice An event hash of zero was given for `lotKey`.
    error TraceRegistryZeroEventHash(bytes32 lotKey);

    /// @notice A recall of `lotKey` was given a zero reason hash.
    error TraceRegistryZeroReasonHash(bytes32 lotKey);

    /// @notice `lotKey` is already recalled; a recall is final.
    error TraceRegistryLotAlreadyRecalled(bytes32 lotKey);

    /**
     * @notice Stops the three writes ({anchorBatch}, {recordLotEvent}, {recall}) in an
     * emergency, e.g. a leaked anchor key, until {unpause}; reads keep working.
     *
     * Requirements:
     * - the caller has `PAUSER_ROLE` (the admin from deployment on);
     * - the registry is not paused (else `EnforcedPause()`).
     *
     * Emits OpenZeppelin's `Paused(account)` event.
     */
    function pause() external;

    /**
     * @notice Lets the three writes through again.
     *
     * Requirements:
     * - the caller has `PAUSER_ROLE`;
     * - the registry is paused (else `ExpectedPause()`).
     *
     * Emits OpenZeppelin's `Unpaused(account)` event.
     */
    function unpause() external;

    /**
     * @notice Anchors the Merkle root of a batch of `eventCount` events and moves the heads root
     * from `prevHeadsRoot` to `newHeadsRoot` (compare-and-swap).
     * @dev Sending `prevHeadsRoot` = `newHeadsRoot` = {headsRoot} anchors a batch without moving
     * any head. The empty heads map's root is zero, so the first anchor sends zero as
     * `prevHeadsRoot`.
     *
     * Requirements:
     * - the caller has `ANCHORER_ROLE`;
     * - the registry is not paused (else `EnforcedPause()`);
     * - `root` is not zero and not anchored yet;
     * - `eventCount` is not zero;
     * - `prevHeadsRoot` is the current {headsRoot}.
     *
     * Emits a {BatchAnchored} event.
     */
    function anchorBatch(bytes32 root, uint32 eventCount, bytes32 prevHeadsRoot, bytes32 newHeadsRoot) external;

    /**
     * @notice The root of the lot heads map as of the latest anchor; zero before the first one
     * that moved it (the empty map).
     */
    function headsRoot() external view returns (bytes32);

    /**
     * @notice Whether (`headHash`, `seq`) is the head of lot `lotKey` under the current
     * {headsRoot}.
     * @dev Folds the head proof (`bitmap`, `siblings`) from the leaf
     * keccak256(bytes.concat(keccak256(abi.encode(lotKey, headHash, seq)))) upward, exactly as
     * docs/proof-rules.md (rules v2, item 4) says. Returns false, rather than reverting, for a
     * proof whose `siblings` are not exactly one per set bit of `bitmap`.
     */
    function verifyHead(
        bytes32 lotKey,
        bytes32 headHash,
        uint64 seq,
        uint256 bitmap,
        bytes32[] calldata siblings
    ) external view returns (bool);

    /**
     * @notice Whether lot `lotKey` has no head under the current {headsRoot}: the same fold as
     * {verifyHead} from a zero leaf (a non-membership proof).
     */
    function verifyNoHead(bytes32 lotKey, uint256 bitmap, bytes32[] calldata siblings) external view returns (bool);

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
     * - the registry is not paused (else `EnforcedPause()`);
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
     * - the registry is not paused (else `EnforcedPause()`);
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
