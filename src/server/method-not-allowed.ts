import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { sendProblem } from './problem.ts';

const METHODS: readonly HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** The methods the router has a route for at this (concrete) path. */
export function allowedMethods(app: FastifyInstance, url: string): HTTPMethods[] {
  return METHODS.filter((method) => app.findRoute({ method, url }) !== null);
}

/**
 * The not-found handler of a listener. Fastify sends everything it cannot route here, including a
 * known path asked with a method it does not take: that is RFC 9110 §15.5.6 405 with an `Allow`
 * header naming the methods it does take, not a 404 that tells a client the resource is not there.
 */
export function notFoundOrMethodNotAllowed(app: FastifyInstance, notFoundDetail?: string) {
  return (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const allow = allowedMethods(app, request.url);
    if (allow.length === 0) return sendProblem(reply, 'NOT_FOUND', notFoundDetail);
    return sendProblem(reply.header('allow', allow.join(', ')), 'METHOD_NOT_ALLOWED', `this resource takes ${allow.join(', ')}`);
  };
}
