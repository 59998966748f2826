// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {IERC5267} from "@openzeppelin/contracts/interfaces/IERC5267.sol";
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
 * steps after a delay), `PAUSER_ROLE` and `SIGNER_ADMIN_ROLE`; the operator (the servers' anchor
 * key, a hot key) holds `ANCHORER_ROLE` and `RECORDER_ROLE` and nothing else, so a stolen anchor
 * key can neither grant roles, lift a pause, register a signer nor recall a lot. It relays
 * statements others signed (EIP-712): a signer change signed by a signer admin
 * ({setSignerWithSignature}) and a recall signed by a regulator ({recallWithSignature}), each
 * under a per-signer nonce and a deadline. While paused, anchoring, recording and recalling
 * revert with `EnforcedPause()`; signer changes and every read keep working, so a stolen
 * organisation key can be revoked and proofs stay verifiable during an incident.
 *
 * Signers: each organisation (`orgKey`) has signing keys, each recorded once with the block
 * time of its activation and of its revocation. An event's signature counts when its key was
 * active at the time the event's batch was anchored ({isSignerAt}, {verifyEventSignature}), so
 * rotating a key keeps older events valid and a revoked key signs nothing valid afterwards.
 *
 * EIP-712 is computed here rather than inherited from OpenZeppelin's `EIP712`: in
 * OpenZeppelin 5.7 that contract imports `Strings`, whose `Bytes` library uses Cancun's `MCOPY`
 * and does not compile for the `paris` target this registry keeps for pre-Shanghai chains, and
 * its cached domain lives in immutables, which would make every deployment's runtime code
 * different. The domain, the digests and {eip712Domain} (ERC-5267) are the same as
 * `EIP712("SenTrace", "1")`'s;
 * signatures are recovered by OpenZeppelin's `ECDSA` (low s only) and nonces kept by its `Nonces`.
 */
contract TraceRegistry is ITraceRegistry, AccessControlDefaultAdminRules, Pausable, Nonces {
    /// @notice Role allowed to anchor batch roots.
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");
    /// @notice Role allowed to record lot milestones.
    bytes32 public constant RECORDER_ROLE = keccak256("RECORDER_ROLE");
    /// @notice Role allowed to recall lots (its own transaction or its signature, relayed).
    bytes32 public constant REGULATOR_ROLE = keccak256("REGULATOR_ROLE");
    /// @notice Role allowed to pause and unpause the three writes.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    /// @notice Role allowed to register and revoke organisations' signing keys.
    bytes32 public constant SIGNER_ADMIN_ROLE = keccak256("SIGNER_ADMIN_ROLE");

    /// @dev EIP-712 domain: name and version as signed, and the type of the domain itself.
    string private constant _EIP712_NAME = "SenTrace";
    string private constant _EIP712_VERSION = "1";
    bytes32 private constant _DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    /// @dev EIP-712 type hashes (docs/proof-rules.md section 12); field order is part of the type.
    bytes32 private constant _EVENT_TYPEHASH =
        keccak256("Event(bytes32 orgKey,bytes32 lotKey,uint64 seq,bytes32 eventHash)");
    bytes32 private constant _SIGNER_CHANGE_TYPEHASH =
        keccak256(
            "SignerChange(bytes32 orgKey,address signer,bool active,uint8 custody,uint256 nonce,uint256 deadline)"
        );
    bytes32 private constant _RECALL_TYPEHASH =
        keccak256("Recall(bytes32 lotKey,bytes32 reasonHash,uint256 nonce,uint256 deadline)");

    /// @dev Custody codes: 1 client-held, 2 browser-held, 3 custodial.
    uint8 private constant _CUSTODY_CLIENT = 1;
    uint8 private constant _CUSTODY_MAX = 3;

    /// @dev One slot per root; a zero timestamp means "not anchored" (block timestamps are never zero).
    struct Anchor {
        uint64 timestamp;
        uint32 eventCount;
        address anchorer;
    }

    /// @dev One slot per (organisation, key); a zero `since` means "never registered".
    struct Signer {
        uint64 since;
        uint64 until;
        uint8 custody;
    }

    mapping(bytes32 root => Anchor) private _anchors;
    mapping(bytes32 lotKey => bool) private _recalled;
    /// @dev Root of the lot heads map; zero is the empty map.
    bytes32 private _headsRoot;
    mapping(bytes32 orgKey => mapping(address signer => Signer)) private _signers;

    /// @dev Depth of the heads map: one level per bit of a lot key.
    uint256 private constant _HEADS_DEPTH = 256;

    /**
     * @notice Makes `admin` the default admin (transfers of it wait `adminDelay` seconds), a
     * pauser and the signer admin, and grants `operator` the anchoring and recording roles.
     * Nobody is a regulator until the admin grants `REGULATOR_ROLE` to a regulator's own key.
     * `admin` and `operator` may be the same account (a development chain); in production they
     * should not be.
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
        _grantRole(SIGNER_ADMIN_ROLE, admin);
        _grantRole(ANCHORER_ROLE, operator);
        _grantRole(RECORDER_ROLE, operator);
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
        _recall(lotKey, reasonHash, msg.sender);
    }

    /// @inheritdoc ITraceRegistry
    function recallWithSignature(
        bytes32 lotKey,
        bytes32 reasonHash,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external whenNotPaused {
        _checkDeadline(deadline);
        bytes32 structHash = keccak256(abi.encode(_RECALL_TYPEHASH, lotKey, reasonHash, nonce, deadline));
        address regulator = _signedBy(structHash, signature, REGULATOR_ROLE);
        _useCheckedNonce(regulator, nonce);
        _recall(lotKey, reasonHash, regulator);
    }

    /// @inheritdoc ITraceRegistry
    function setSigner(bytes32 orgKey, address signer, bool active) external onlyRole(SIGNER_ADMIN_ROLE) {
        _setSigner(orgKey, signer, active, _CUSTODY_CLIENT);
    }

    /// @inheritdoc ITraceRegistry
    function setSignerWithCustody(
        bytes32 orgKey,
        address signer,
        bool active,
        uint8 custody
    ) external onlyRole(SIGNER_ADMIN_ROLE) {
        _setSigner(orgKey, signer, active, custody);
    }

    /// @inheritdoc ITraceRegistry
    function setSignerWithSignature(
        bytes32 orgKey,
        address signer,
        bool active,
        uint8 custody,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external {
        _checkDeadline(deadline);
        bytes32 structHash = keccak256(
            abi.encode(_SIGNER_CHANGE_TYPEHASH, orgKey, signer, active, custody, nonce, deadline)
        );
        address signerAdmin = _signedBy(structHash, signature, SIGNER_ADMIN_ROLE);
        _useCheckedNonce(signerAdmin, nonce);
        _setSigner(orgKey, signer, active, custody);
    }

    /// @inheritdoc ITraceRegistry
    function signerOf(bytes32 orgKey, address signer) external view returns (uint64 since, uint64 until, uint8 custody) {
        Signer memory record = _signers[orgKey][signer];
        return (record.since, record.until, record.custody);
    }

    /// @inheritdoc ITraceRegistry
    function isSignerAt(bytes32 orgKey, address signer, uint64 timestamp) public view returns (bool) {
        Signer memory record = _signers[orgKey][signer];
        return record.since != 0 && record.since <= timestamp && (record.until == 0 || timestamp < record.until);
    }

    /// @inheritdoc ITraceRegistry
    function eventDigest(bytes32 orgKey, bytes32 lotKey, uint64 seq, bytes32 eventHash) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(_EVENT_TYPEHASH, orgKey, lotKey, seq, eventHash)));
    }

    /// @inheritdoc ITraceRegistry
    function recoverEventSigner(
        bytes32 orgKey,
        bytes32 lotKey,
        uint64 seq,
        bytes32 eventHash,
        bytes calldata signature
    ) public view returns (address) {
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecoverCalldata(
            eventDigest(orgKey, lotKey, seq, eventHash),
            signature
        );
        return err == ECDSA.RecoverError.NoError ? recovered : address(0);
    }

    /// @inheritdoc ITraceRegistry
    function verifyEventSignature(
        bytes32 root,
        bytes32 orgKey,
        bytes32 lotKey,
        uint64 seq,
        bytes32 eventHash,
        bytes calldata signature
    ) external view returns (bool) {
        uint64 anchoredAt = _anchors[root].timestamp;
        if (anchoredAt == 0) return false;
        address recovered = recoverEventSigner(orgKey, lotKey, seq, eventHash, signature);
        return recovered != address(0) && isSignerAt(orgKey, recovered, anchoredAt);
    }

    /// @inheritdoc IERC5267
    function eip712Domain()
        external
        view
        returns (
            bytes1 fields,
            string memory name,
            string memory version,
            uint256 chainId,
            address verifyingContract,
            bytes32 salt,
            uint256[] memory extensions
        )
    {
        // 0x0f: name, version, chainId and verifyingContract are used; no salt, no extensions.
        return (hex"0f", _EIP712_NAME, _EIP712_VERSION, block.chainid, address(this), bytes32(0), new uint256[](0));
    }

    /// @inheritdoc ITraceRegistry
    function nonces(address owner) public view override(ITraceRegistry, Nonces) returns (uint256) {
        return super.nonces(owner);
    }

    /// @inheritdoc ITraceRegistry
    function isRecalled(bytes32 lotKey) external view returns (bool) {
        return _recalled[lotKey];
    }

    /// @dev Recalls `lotKey` for `regulator`, who sent the transaction or signed the recall.
    function _recall(bytes32 lotKey, bytes32 reasonHash, address regulator) private {
        if (lotKey == bytes32(0)) revert TraceRegistryZeroLotKey();
        if (reasonHash == bytes32(0)) revert TraceRegistryZeroReasonHash(lotKey);
        if (_recalled[lotKey]) revert TraceRegistryLotAlreadyRecalled(lotKey);

        _recalled[lotKey] = true;
        emit LotRecalled(lotKey, reasonHash, regulator, uint64(block.timestamp));
    }

    /**
     * @dev Activates or revokes `signer` for `orgKey`. A key is activated once and revoked once:
     * a revoked key never returns (its old signatures must keep their meaning). On revocation
     * `custody` is checked like any argument but the record keeps its activation's custody.
     */
    function _setSigner(bytes32 orgKey, address signer, bool active, uint8 custody) private {
        if (orgKey == bytes32(0)) revert TraceRegistryZeroOrgKey();
        if (signer == address(0)) revert TraceRegistryZeroSigner(orgKey);
        if (custody == 0 || custody > _CUSTODY_MAX) revert TraceRegistryInvalidCustody(custody);
        Signer storage record = _signers[orgKey][signer];
        uint64 now64 = uint64(block.timestamp);
        if (active) {
            if (record.until != 0) revert TraceRegistrySignerRevoked(orgKey, signer, record.until);
            if (record.since != 0) revert TraceRegistrySignerAlreadyActive(orgKey, signer, record.since);
            record.since = now64;
            record.custody = custody;
        } else {
            if (record.since == 0 || record.until != 0) revert TraceRegistrySignerNotActive(orgKey, signer);
            record.until = now64;
        }
        emit SignerSet(orgKey, signer, active, record.custody, now64);
    }

    /// @dev The EIP-712 digest of a statement: "\x19\x01" ‖ domain separator ‖ `structHash`.
    function _hashTypedDataV4(bytes32 structHash) private view returns (bytes32) {
        return keccak256(abi.encodePacked(hex"1901", _domainSeparator(), structHash));
    }

    /**
     * @dev The domain separator of this registry on the current chain, computed on every use
     * rather than kept in immutables: immutables would make the runtime code differ from one
     * deployment to the next, and deployment records and offline verifiers identify the
     * registry by the hash of its runtime code. It costs a hash of five words per statement.
     */
    function _domainSeparator() private view returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    _DOMAIN_TYPEHASH,
                    keccak256(bytes(_EIP712_NAME)),
                    keccak256(bytes(_EIP712_VERSION)),
                    block.chainid,
                    address(this)
                )
            );
    }

    /// @dev Reverts once `deadline` (a block timestamp) has passed.
    function _checkDeadline(uint256 deadline) private view {
        if (block.timestamp > deadline) revert TraceRegistryExpiredSignature(deadline);
    }

    /// @dev The signer of the EIP-712 statement `structHash`, who must hold `role`.
    function _signedBy(bytes32 structHash, bytes calldata signature, bytes32 role) private view returns (address) {
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecoverCalldata(
            _hashTypedDataV4(structHash),
            signature
        );
        if (err != ECDSA.RecoverError.NoError) revert TraceRegistryInvalidSignature();
        if (!hasRole(role, recovered)) revert TraceRegistryUnauthorizedSigner(recovered, role);
        return recovered;
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
