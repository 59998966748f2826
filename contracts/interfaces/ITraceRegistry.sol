// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC5267} from "@openzeppelin/contracts/interfaces/IERC5267.sol";

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
 * Writes need a role: `ANCHORER_ROLE` and `RECORDER_ROLE` (held by the operator, the platform's
 * key), `REGULATOR_ROLE` (a regulator's own key, granted by the admin) and `SIGNER_ADMIN_ROLE`
 * (the admin). A regulator or signer admin may sign its statement (EIP-712, domain
 * {name "SenTrace", version "1", chainId, this registry}) for anyone to relay, under a nonce
 * ({nonces}) and a deadline. Anchoring, recording and recalling stop while the registry is
 * paused (OpenZeppelin `Pausable`: `paused()`, the `Paused` and `Unpaused` events, the
 * `EnforcedPause()` error); signer changes and reads never stop, and reads never need a role.
 *
 * Organisations sign their events: each organisation key (`orgKey`, keccak256 of the NFC slug)
 * has signing keys recorded with the block times of their activation and revocation, and an
 * event's signature counts when it recovers to a key active at its batch's anchoring time
 * (docs/proof-rules.md section 12).
 */
interface ITraceRegistry is IERC5267 {
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
     * @notice A signing key of an organisation was activated (`active`) or revoked.
     * @param orgKey keccak256 of the NFC organisation slug.
     * @param signer The key's address.
     * @param active True for an activation, false for a revocation.
     * @param custody Who holds the key, as recorded at activation: 1 client, 2 browser,
     * 3 custodial (the platform, encrypted).
     * @param at Block timestamp of the change (the record's `since` or `until`).
     */
    event SignerSet(bytes32 indexed orgKey, address indexed signer, bool active, uint8 custody, uint64 at);

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

    /// @notice An organisation key of zero was given.
    error TraceRegistryZeroOrgKey();

    /// @notice A signer of zero was given for `orgKey`.
    error TraceRegistryZeroSigner(bytes32 orgKey);

    /// @notice `custody` is not one of 1 (client), 2 (browser), 3 (custodial).
    error TraceRegistryInvalidCustody(uint8 custody);

    /// @notice `signer` is already active for `orgKey`, since `since`.
    error TraceRegistrySignerAlreadyActive(bytes32 orgKey, address signer, uint64 since);

    /// @notice `signer` was revoked for `orgKey` at `until`; a revoked key never returns.
    error TraceRegistrySignerRevoked(bytes32 orgKey, address signer, uint64 until);

    /// @notice A revocation of `signer`, which is not an active key of `orgKey`.
    error TraceRegistrySignerNotActive(bytes32 orgKey, address signer);

    /// @notice A signed statement whose `deadline` (a block timestamp) has passed.
    error TraceRegistryExpiredSignature(uint256 deadline);

    /// @notice A signature that recovers to no address (malformed, wrong length or high s).
    error TraceRegistryInvalidSignature();

    /// @notice A statement signed by `signer`, which does not hold `neededRole`.
    error TraceRegistryUnauthorizedSigner(address signer, bytes32 neededRole);

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
     * @notice Recalls a lot on the signed word of a regulator, relayed by anyone (the platform
     * pays the gas, the regulator's key decides); final.
     * @dev `signature` is the regulator's EIP-712 signature of
     * `Recall(bytes32 lotKey,bytes32 reasonHash,uint256 nonce,uint256 deadline)`.
     *
     * Requirements:
     * - the registry is not paused (else `EnforcedPause()`);
     * - `deadline` has not passed (else {TraceRegistryExpiredSignature});
     * - the signature recovers (else {TraceRegistryInvalidSignature}) to an account holding
     *   `REGULATOR_ROLE` (else {TraceRegistryUnauthorizedSigner});
     * - `nonce` is that account's current nonce (else `InvalidAccountNonce`), which this uses;
     * - as {recall}: `lotKey` and `reasonHash` not zero, the lot not recalled yet.
     *
     * Emits a {LotRecalled} event naming the regulator who signed.
     */
    function recallWithSignature(
        bytes32 lotKey,
        bytes32 reasonHash,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external;

    /**
     * @notice Whether `lotKey` has been recalled.
     */
    function isRecalled(bytes32 lotKey) external view returns (bool);

    /**
     * @notice Activates (`active`) or revokes `signer` as a signing key of `orgKey`, recorded as
     * client-held (custody 1). Not stopped by a pause: a stolen key must be revocable.
     *
     * Requirements:
     * - the caller has `SIGNER_ADMIN_ROLE`;
     * - `orgKey` and `signer` are not zero;
     * - an activation: the key is neither active ({TraceRegistrySignerAlreadyActive}) nor
     *   revoked ({TraceRegistrySignerRevoked}: a revoked key never returns);
     * - a revocation: the key is active ({TraceRegistrySignerNotActive}).
     *
     * Emits a {SignerSet} event.
     */
    function setSigner(bytes32 orgKey, address signer, bool active) external;

    /**
     * @notice {setSigner} with the key's custody (1 client, 2 browser, 3 custodial; else
     * {TraceRegistryInvalidCustody}). A revocation keeps the custody recorded at activation.
     */
    function setSignerWithCustody(bytes32 orgKey, address signer, bool active, uint8 custody) external;

    /**
     * @notice {setSignerWithCustody} on the signed word of a signer admin, relayed by anyone.
     * @dev `signature` is the EIP-712 signature of
     * `SignerChange(bytes32 orgKey,address signer,bool active,uint8 custody,uint256 nonce,uint256 deadline)`.
     *
     * Requirements:
     * - `deadline` has not passed (else {TraceRegistryExpiredSignature});
     * - the signature recovers (else {TraceRegistryInvalidSignature}) to an account holding
     *   `SIGNER_ADMIN_ROLE` (else {TraceRegistryUnauthorizedSigner});
     * - `nonce` is that account's current nonce (else `InvalidAccountNonce`), which this uses;
     * - as {setSignerWithCustody}.
     *
     * Emits a {SignerSet} event.
     */
    function setSignerWithSignature(
        bytes32 orgKey,
        address signer,
        bool active,
        uint8 custody,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external;

    /**
     * @notice The record of `signer` for `orgKey`: block timestamps of its activation (`since`,
     * zero: never registered) and revocation (`until`, zero while active), and its custody.
     */
    function signerOf(bytes32 orgKey, address signer) external view returns (uint64 since, uint64 until, uint8 custody);

    /**
     * @notice Whether `signer` signed for `orgKey` at `timestamp`:
     * `since != 0 && since <= timestamp && (until == 0 || timestamp < until)`. A revocation in
     * the same second as `timestamp` wins (fail closed).
     */
    function isSignerAt(bytes32 orgKey, address signer, uint64 timestamp) external view returns (bool);

    /**
     * @notice The EIP-712 digest an organisation signs for an event:
     * `Event(bytes32 orgKey,bytes32 lotKey,uint64 seq,bytes32 eventHash)` under this registry's
     * domain.
     */
    function eventDigest(bytes32 orgKey, bytes32 lotKey, uint64 seq, bytes32 eventHash) external view returns (bytes32);

    /**
     * @notice The address that signed the event's typed data with `signature`; zero for a
     * malformed, wrong-length or high-s signature.
     */
    function recoverEventSigner(
        bytes32 orgKey,
        bytes32 lotKey,
        uint64 seq,
        bytes32 eventHash,
        bytes calldata signature
    ) external view returns (address);

    /**
     * @notice Whether `root` is anchored and `signature` of the event recovers to a key of
     * `orgKey` active at the anchoring time ({isSignerAt} at `anchorOf(root).timestamp`).
     * @dev Says nothing about the event being in the batch: check that with {verify}.
     */
    function verifyEventSignature(
        bytes32 root,
        bytes32 orgKey,
        bytes32 lotKey,
        uint64 seq,
        bytes32 eventHash,
        bytes calldata signature
    ) external view returns (bool);

    /**
     * @notice The next nonce a signed statement of `owner` must carry (OpenZeppelin `Nonces`);
     * each relayed statement uses one.
     */
    function nonces(address owner) external view returns (uint256);
}
