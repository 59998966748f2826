// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {ITraceRegistryV1} from "./ITraceRegistryV1.sol";

/**
 * @title TraceRegistryV1
 * @notice The first SenTrace registry (proof rules v1), kept so that registries deployed from it
 * can still be read and so that the gas benchmark can compare it with the current one. Anchors
 * Merkle roots of SenTrace event batches, records lot milestones as logs and keeps the recall
 * status of lots. New deployments use {TraceRegistry}.
 *
 * An anchor is packed in one storage slot (64 + 32 + 160 bits) so that anchoring a batch costs a
 * single fresh SSTORE; milestones are logs only, because nothing on chain needs to read them.
 */
contract TraceRegistryV1 is ITraceRegistryV1, AccessControl {
    /// @notice Role allowed to anchor batch roots.
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");
    /// @notice Role allowed to record lot milestones.
    bytes32 public constant RECORDER_ROLE = keccak256("RECORDER_ROLE");
    /// @notice Role allowed to recall lots.
    bytes32 public constant REGULATOR_ROLE = keccak256("REGULATOR_ROLE");

    /// @dev One slot per root; a zero timestamp means "not anchored" (block timestamps are never zero).
    struct Anchor {
        uint64 timestamp;
        uint32 eventCount;
        address anchorer;
    }

    mapping(bytes32 root => Anchor) private _anchors;
    mapping(bytes32 lotKey => bool) private _recalled;

    /**
     * @notice Grants `admin` the admin role and the three operating roles.
     *
     * Requirements:
     * - `admin` is not the zero address.
     */
    constructor(address admin) {
        if (admin == address(0)) revert TraceRegistryZeroAdmin();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ANCHORER_ROLE, admin);
        _grantRole(RECORDER_ROLE, admin);
        _grantRole(REGULATOR_ROLE, admin);
    }

    /// @inheritdoc ITraceRegistryV1
    function anchorBatch(bytes32 root, uint32 eventCount) external onlyRole(ANCHORER_ROLE) {
        if (root == bytes32(0)) revert TraceRegistryZeroRoot();
        if (eventCount == 0) revert TraceRegistryZeroEventCount(root);
        Anchor storage anchor = _anchors[root];
        uint64 anchoredAt = anchor.timestamp;
        if (anchoredAt != 0) revert TraceRegistryRootAlreadyAnchored(root, anchoredAt);

        // Three field writes to one slot: the compiler merges them into a single SSTORE.
        uint64 timestamp = uint64(block.timestamp);
        anchor.timestamp = timestamp;
        anchor.eventCount = eventCount;
        anchor.anchorer = msg.sender;
        emit BatchAnchored(root, msg.sender, eventCount, timestamp);
    }

    /// @inheritdoc ITraceRegistryV1
    function anchorOf(bytes32 root) external view returns (uint64 timestamp, uint32 eventCount, address anchorer) {
        Anchor memory anchor = _anchors[root];
        return (anchor.timestamp, anchor.eventCount, anchor.anchorer);
    }

    /// @inheritdoc ITraceRegistryV1
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

    /// @inheritdoc ITraceRegistryV1
    function recordLotEvent(bytes32 lotKey, uint8 kind, bytes32 eventHash) external onlyRole(RECORDER_ROLE) {
        if (lotKey == bytes32(0)) revert TraceRegistryZeroLotKey();
        if (eventHash == bytes32(0)) revert TraceRegistryZeroEventHash(lotKey);
        emit LotEventRecorded(lotKey, kind, eventHash, msg.sender);
    }

    /// @inheritdoc ITraceRegistryV1
    function recall(bytes32 lotKey, bytes32 reasonHash) external onlyRole(REGULATOR_ROLE) {
        if (lotKey == bytes32(0)) revert TraceRegistryZeroLotKey();
        if (reasonHash == bytes32(0)) revert TraceRegistryZeroReasonHash(lotKey);
        if (_recalled[lotKey]) revert TraceRegistryLotAlreadyRecalled(lotKey);

        _recalled[lotKey] = true;
        emit LotRecalled(lotKey, reasonHash, msg.sender, uint64(block.timestamp));
    }

    /// @inheritdoc ITraceRegistryV1
    function isRecalled(bytes32 lotKey) external view returns (bool) {
        return _recalled[lotKey];
    }
}
