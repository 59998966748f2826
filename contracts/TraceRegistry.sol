// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {ITraceRegistry} from "./interfaces/ITraceRegistry.sol";

/**
 * @title TraceRegistry
 * @notice Anchors Merkle roots of SenTrace event batches together with the root of the lot heads
 * map (proof rules v2), records lot milestones as logs and keeps the recall status of lots.
 *
 * An anchor is packed in one storage slot (64 + 32 + 160 bits) so that anchoring a batch costs a
 * single fresh SSTORE; the heads root is one more slot, rewritten (not created) by every anchor
 * after the first. Milestones are logs only, because nothing on chain needs to read them.
 *
 * Roles are split at deployment: the admin (a cold key or a multisig) holds
 * `DEFAULT_ADMIN_ROLE` under OpenZeppelin's default admin rules (one admin, handed over in two
 * steps after a delay) and `PAUSER_ROLE`; the operator (the servers' anchor key, a hot key)
 * holds the three operating roles and nothing else, so a stolen anchor key can neither grant
 * roles nor lift a pause. While paused, the three writes revert with `EnforcedPause()` and
 * every read keeps answering: proofs stay verifiable during an incident.
 */
contract TraceRegistry is ITraceRegistry, AccessControlDefaultAdminRules, Pausable {
    /// @notice Role allowed to anchor batch roots.
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");
    /// @notice Role allowed to record lot milestones.
    bytes32 public constant RECORDER_ROLE = keccak256("RECORDER_ROLE");
    /// @notice Role allowed to recall lots.
    bytes32 public constant REGULATOR_ROLE = keccak256("REGULATOR_ROLE");
    /// @notice Role allowed to pause and unpause the three writes.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @dev One slot per root; a zero timestamp means "not anchored" (block timestamps are never zero).
    struct Anchor {
        uint64 timestamp;
        uint32 eventCount;
        address anchorer;
    }

    mapping(bytes32 root => Anchor) private _anchors;
    mapping(bytes32 lotKey => bool) private _recalled;
    /// @dev Root of the lot heads map; zero is the empty map.
    bytes32 private _headsRoot;

    /// @dev Depth of the heads map: one level per bit of a lot key.
    uint256 private constant _HEADS_DEPTH = 256;

    /**
     * @notice Makes `admin` the default admin (transfers of it wait `adminDelay` seconds) and
     * a pauser, and grants `operator` the three operating roles. `admin` and `operator` may be
     * the same account (a development chain); in production they should not be.
     * @dev Emits {RoleGranted} for each grant, so the logs name who holds what from block one.
     *
     * Requirements:
     * - `admin` is not the zero address (`AccessControlInvalidDefaultAdmin`);
     * - `operator` is not the zero address.
     */
    constructor(
        uint48 adminDelay,
        address admin,
        address operator
    ) AccessControlDefaultAdminRules(adminDelay, admin) {
        if (operator == address(0)) revert TraceRegistryZeroOperator();
        _grantRole(PAUSER_ROLE, admin);
        _grantRole(ANCHORER_ROLE, operator);
        _grantRole(RECORDER_ROLE, operator);
        _grantRole(REGULATOR_ROLE, operator);
    }

    /// @inheritdoc ITraceRegistry
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @inheritdoc ITraceRegistry
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    /// @inheritdoc ITraceRegistry
    function anchorBatch(
        bytes32 root,
        uint32 eventCount,
        bytes32 prevHeadsRoot,
        bytes32 newHeadsRoot
    ) external onlyRole(ANCHORER_ROLE) whenNotPaused {
        if (root == bytes32(0)) revert TraceRegistryZeroRoot();
        if (eventCount == 0) revert TraceRegistryZeroEventCount(root);
        Anchor storage anchor = _anchors[root];
        uint64 anchoredAt = anchor.timestamp;
        // Checked before the heads root: a resent anchor that already landed reads as such.
        if (anchoredAt != 0) revert TraceRegistryRootAlreadyAnchored(root, anchoredAt);
        bytes32 current = _headsRoot;
        if (prevHeadsRoot != current) revert TraceRegistryStaleHeadsRoot(prevHeadsRoot, current);

        // Three field writes to one slot: the compiler merges them into a single SSTORE.
        anchor.timestamp = uint64(block.timestamp);
        anchor.eventCount = eventCount;
        anchor.anchorer = msg.sender;
        _headsRoot = newHeadsRoot;
        emit BatchAnchored(root, newHeadsRoot, eventCount);
    }

    /// @inheritdoc ITraceRegistry
    function headsRoot() external view returns (bytes32) {
        return _headsRoot;
    }

    /// @inheritdoc ITraceRegistry
    function verifyHead(
        bytes32 lotKey,
        bytes32 headHash,
        uint64 seq,
        uint256 bitmap,
        bytes32[] calldata siblings
    ) external view returns (bool) {
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(lotKey, headHash, seq))));
        return _foldsToHeadsRoot(lotKey, leaf, bitmap, siblings);
    }

    /// @inheritdoc ITraceRegistry
    function verifyNoHead(bytes32 lotKey, uint256 bitmap, bytes32[] calldata siblings) external view returns (bool) {
        return _foldsToHeadsRoot(lotKey, bytes32(0), bitmap, siblings);
    }

    /// @inheritdoc ITraceRegistry
    function anchorOf(bytes32 root) external view returns (uint64 timestamp, uint32 eventCount, address anchorer) {
        Anchor memory anchor = _anchors[root];
        return (anchor.timestamp, anchor.eventCount, anchor.anchorer);
    }

    /// @inheritdoc ITraceRegistry
    function verify(
        bytes32[] calldata proof,
        bytes32 root,
        bytes32 lotKey,
        bytes32 eventHash
    ) external view returns (bool) {
        if (_anchors[root].timestamp == 0) return false;
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(lotKey, eventHash))));
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }

    /// @inheritdoc ITraceRegistry
    function recordLotEvent(
        bytes32 lotKey,
        uint8 kind,
        bytes32 eventHash
    ) external onlyRole(RECORDER_ROLE) whenNotPaused {
        if (lotKey == bytes32(0)) revert TraceRegistryZeroLotKey();
        if (eventHash == bytes32(0)) revert TraceRegistryZeroEventHash(lotKey);
        emit LotEventRecorded(lotKey, kind, eventHash, msg.sender);
    }

    /// @inheritdoc ITraceRegistry
    function recall(bytes32 lotKey, bytes32 reasonHash) external onlyRole(REGULATOR_ROLE) whenNotPaused {
        if (lotKey == bytes32(0)) revert TraceRegistryZeroLotKey();
        if (reasonHash == bytes32(0)) revert TraceRegistryZeroReasonHash(lotKey);
        if (_recalled[lotKey]) revert TraceRegistryLotAlreadyRecalled(lotKey);

        _recalled[lotKey] = true;
        emit LotRecalled(lotKey, reasonHash, msg.sender, uint64(block.timestamp));
    }

    /// @inheritdoc ITraceRegistry
    function isRecalled(bytes32 lotKey) external view returns (bool) {
        return _recalled[lotKey];
    }

    /**
     * @dev Whether `leaf` at `lotKey`, folded with the head proof (`bitmap`, `siblings`), gives
     * the current heads root. Height `i` takes the next sibling when bit `i` of `bitmap` is set
     * (zero otherwise) and puts the path on the right when bit `i` of `lotKey` is set. A proof
     * with too few or too many siblings for its bitmap is false, as off chain.
     */
    function _foldsToHeadsRoot(
        bytes32 lotKey,
        bytes32 leaf,
        uint256 bitmap,
        bytes32[] calldata siblings
    ) private view returns (bool) {
        uint256 key = uint256(lotKey);
        uint256 used = 0;
        bytes32 node = leaf;
        for (uint256 height = 0; height < _HEADS_DEPTH; ++height) {
            bytes32 sibling = bytes32(0);
            if ((bitmap >> height) & 1 == 1) {
                if (used == siblings.length) return false;
                sibling = siblings[used++];
            }
            node = (key >> height) & 1 == 1 ? _headsNode(sibling, node) : _headsNode(node, sibling);
        }
        return used == siblings.length && node == _headsRoot;
    }

    /// @dev A heads map node: zero for two empty children, else keccak256(left || right), in order.
    function _headsNode(bytes32 left, bytes32 right) private pure returns (bytes32) {
        if (left == bytes32(0) && right == bytes32(0)) return bytes32(0);
        return Hashes.efficientKeccak256(left, right);
    }
}
